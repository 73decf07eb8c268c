import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem, type as osType, release, availableParallelism } from 'node:os';
import { TFJS_VERSION } from '../engine/backend';
import { LTH_LAB_VERSION } from '../services/version';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  lthLab: string;
  tfjs: string;
  torch: string | null;
  loadAverageAtStart: number[];
  date: string;
  gitCommit: string | null;
}

export function describeMachine(torch: string | null): MachineInfo {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', cwd: process.cwd() });
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    os: `${osType()} ${release()}`,
    node: process.version,
    lthLab: LTH_LAB_VERSION,
    tfjs: TFJS_VERSION,
    torch,
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    date: new Date().toISOString(),
    gitCommit: git.status === 0 ? git.stdout.trim() : null,
  };
}
