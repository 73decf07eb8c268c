import { spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { diagnoseBackends, DESKTOP_WEBGPU_HINT, type Diagnosis } from '../../engine/backends/diagnose';
import { TFJS_VERSION } from '../../engine/backend';
import { storeLocations } from '../../store';
import { LTH_LAB_VERSION } from '../../services/version';
import { printJson } from '../context';
import { CliError } from '../errors';

/**
 * The backends are loaded in a child process whose stderr the doctor reads: Dawn, Mesa's Vulkan and EGL drivers
 * write warnings there from native code (a `console` patch cannot catch them), twice over as each route is tried.
 * The doctor reports in its own words; --verbose shows what the native code wrote.
 */
function probeInChild(): { diagnosis: Diagnosis; native: string[] } {
  const r = spawnSync(process.execPath, [process.argv[1]!, 'doctor', '--probe'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const native = (r.stderr ?? '').split('\n').filter((l) => l.trim() !== '');
  if (r.error) throw new CliError(`lth doctor: the backend check could not run: ${r.error.message}`);
  let diagnosis: Diagnosis;
  try {
    diagnosis = JSON.parse(r.stdout) as Diagnosis;
  } catch {
    throw new CliError(`lth doctor: the backend check ${r.status === null ? `was killed (${r.signal})` : `exited with code ${r.status}`}:\n${native.slice(-20).join('\n')}`);
  }
  return { diagnosis, native };
}

/** `lth doctor`: every backend, whether it loads here and why not, what auto picks, and where the data lives. */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check every training backend (loads or not, why not, the device it would use), what auto picks, and where the data is')
    .option('--json', 'print one JSON object')
    .option('--verbose', 'also print what the GPU drivers wrote while the backends loaded')
    .addOption(new Option('--probe', 'load the backends in this process and print the diagnosis as JSON (the doctor runs it)').hideHelp())
    .action(async (opts: { json?: boolean; verbose?: boolean; probe?: boolean }, cmd: Command) => {
      if (opts.probe) return printJson(await diagnoseBackends());
      const g = cmd.optsWithGlobals<{ db?: string }>();
      const where = storeLocations({ dbPath: g.db });
      const { diagnosis: d, native } = probeInChild();
      const report = {
        version: LTH_LAB_VERSION,
        tfjs: TFJS_VERSION,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        backends: d.backends,
        auto: d.auto,
        dataDir: where.dataDir,
        databasePath: where.dbPath,
        desktop: DESKTOP_WEBGPU_HINT || null,
        ...(opts.verbose ? { driverMessages: native } : {}),
      };
      if (opts.json) return printJson(report);
      const lines = [`LTH Lab ${report.version} · tfjs ${report.tfjs} · Node ${report.node} · ${report.platform}`, ''];
      for (const b of d.backends) {
        const check = b.checkVsCpu !== undefined ? ` [64x64 matMul within ${b.checkVsCpu.toExponential(1)} of cpu]` : '';
        lines.push(`${b.name.padEnd(15)} ${(b.loads ? 'ok' : 'no').padEnd(3)} ${b.detail}${check}`);
        for (const n of b.notes) lines.push(`${' '.repeat(19)}${n}`);
      }
      lines.push('', `auto picks:      ${d.auto.backend} (${d.auto.why})`, `data directory:  ${where.dataDir}`, `database:        ${where.dbPath}`);
      if (DESKTOP_WEBGPU_HINT) lines.push(DESKTOP_WEBGPU_HINT);
      if (native.length) {
        lines.push(
          opts.verbose
            ? `\nthe GPU drivers wrote while the backends loaded (${native.length} lines):\n${native.map((l) => `  ${l}`).join('\n')}`
            : `GPU driver messages: ${native.length} lines while loading the backends, not shown (lth doctor --verbose shows them)`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
