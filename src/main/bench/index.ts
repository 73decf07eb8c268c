import { availableParallelism, loadavg } from 'node:os';
import { initBackend, type BackendChoice } from '../engine/backend';
import { benchTask } from './child';
import { endToEnd } from './e2e';
import { impRoundAndTickets } from './imp-round';
import { describeMachine } from './machine';
import type { MemoryResult } from './memory';
import { parallelThroughput } from './parallel';
import type { ServeDelayResult } from './serve-delay';
import { evaluateTargets } from './targets';
import { parseBenchNets, type BenchNet } from './networks';
import { startTorchPeer, torchAvailable, type TorchPeer } from './torch-peer';
import { benchBackends, type BackendSection } from './training';
import { packedBench, type PackedResult } from './packed';
import type { BenchReport } from './types';

export type { BenchReport, Target } from './types';
export { renderMarkdown, renderTrainingRows } from './report';

/**
 * The networks of the training table: `networks`, else LTH_BENCH_NETWORKS (comma-separated, e.g. `resnet20,vgg19`),
 * else all of them. (`lth bench` has no flag for it yet: the variable selects them through the CLI.)
 */
export function benchNetworks(networks?: readonly BenchNet[]): readonly BenchNet[] | undefined {
  if (networks) return networks;
  const env = process.env.LTH_BENCH_NETWORKS;
  return env ? parseBenchNets(env) : undefined;
}

/**
 * The training-throughput table alone (every backend that loads, PyTorch beside it where installed), for the
 * networks given: what a change to one network's rows needs re-measured, without the rest of the benchmark.
 */
export async function runTrainingBench(opts: {
  quick: boolean;
  networks?: readonly BenchNet[];
  backends?: readonly BackendChoice[];
  log: (line: string) => void;
}): Promise<{ sections: BackendSection[]; unavailable: { backend: string; reason: string }[]; torch: string | null; loadAverage: { start: number[]; end: number[] }; seconds: number }> {
  const began = performance.now();
  const start = loadavg().map((x) => Number(x.toFixed(2)));
  const torchInfo = torchAvailable();
  let torch: TorchPeer | null = null;
  if (torchInfo.version) torch = await startTorchPeer();
  else opts.log(`PyTorch peer not available: ${torchInfo.reason}`);
  try {
    const r = await benchBackends({ quick: opts.quick, torch, log: opts.log, networks: benchNetworks(opts.networks), backends: opts.backends });
    const end = loadavg().map((x) => Number(x.toFixed(2)));
    return { ...r, torch: torchInfo.version, loadAverage: { start, end }, seconds: Math.round((performance.now() - began) / 1000) };
  } finally {
    torch?.close();
  }
}

/** Every measurement of issue 5, in one run on this machine. */
export async function runBench(opts: { quick: boolean; backend: BackendChoice; log: (line: string) => void; networks?: readonly BenchNet[] }): Promise<BenchReport> {
  const began = performance.now();
  const log = opts.log;
  const torchInfo = torchAvailable();
  const machine = describeMachine(torchInfo.version);
  log(`lth bench${opts.quick ? ' --quick' : ''}: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverageAtStart.join(' ')}`);
  const primary = await initBackend(opts.backend);
  const backend = primary.tfBackend as BackendChoice;

  let torch: TorchPeer | null = null;
  if (torchInfo.version) torch = await startTorchPeer();
  else log(`PyTorch peer not available: ${torchInfo.reason}`);
  let trained;
  try {
    trained = await benchBackends({ quick: opts.quick, torch, log, networks: benchNetworks(opts.networks) });
  } finally {
    torch?.close();
  }
  let impRoundWebgpu: BenchReport['impRoundWebgpu'] = null;
  const webgpu = trained.sections.find((s) => s.backend === 'webgpu');
  if (webgpu && backend !== 'webgpu') {
    await initBackend('webgpu');
    log(`webgpu: one IMP round (${webgpu.detail})`);
    impRoundWebgpu = { ...(await impRoundAndTickets({ iterations: opts.quick ? 200 : 1000, tickets: 1 })).imp, detail: webgpu.detail };
  }
  await initBackend(backend);

  log(`${primary.name}: one IMP round and ticket save/load`);
  const { imp, tickets } = await impRoundAndTickets({ iterations: opts.quick ? 200 : 1000, tickets: opts.quick ? 5 : 20 });
  log(`${primary.name}: independent runs, 1 process vs ${Math.max(2, availableParallelism())}`);
  const parallel = await parallelThroughput({ quick: opts.quick, backend, processes: 2 });
  log('event-loop delay of the UI-serving process while an experiment trains');
  const q = opts.quick ? ['--quick'] : [];
  const serve = await benchTask<ServeDelayResult>('serve-delay', q, backend);
  log('peak memory of a LeNet-300-100 and a Conv-2 experiment');
  const memory = [await benchTask<MemoryResult>('memory', ['--net', 'lenet300', ...q], backend), await benchTask<MemoryResult>('memory', ['--net', 'conv2', ...q], backend)];
  log(`${primary.name}: packed training (R = 1, 5, 15) and the small experiment packed vs unpacked`);
  const packed: PackedResult[] = [await packedBench({ quick: opts.quick, experiment: true, log })];
  if (webgpu && backend !== 'webgpu') {
    await initBackend('webgpu');
    log(`webgpu: packed training (${webgpu.detail})`);
    packed.push(await packedBench({ quick: opts.quick, experiment: false, log }));
    await initBackend(backend);
  }
  log('end to end: the real CLI');
  const e2e = await endToEnd({ quick: opts.quick, backend });

  const partial: Omit<BenchReport, 'targets'> = {
    quick: opts.quick,
    machine,
    backend: primary.name,
    torch: { available: torchInfo.version !== null, version: torchInfo.version, reason: torchInfo.reason },
    training: trained.sections,
    unavailableBackends: trained.unavailable,
    impRound: imp,
    impRoundWebgpu,
    tickets,
    serve,
    parallel,
    memory,
    endToEnd: e2e,
    packed,
    loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
    durationSeconds: Math.round((performance.now() - began) / 1000),
  };
  return { ...partial, targets: evaluateTargets(partial) };
}
