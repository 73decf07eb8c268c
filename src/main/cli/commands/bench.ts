import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { initBackend, type BackendChoice } from '../../engine/backend';
import { renderMarkdown, runBench } from '../../bench';
import { memoryTask } from '../../bench/memory';
import type { BenchNet } from '../../bench/networks';
import { serveDelay } from '../../bench/serve-delay';
import { packedBench, renderPacked, type PackedResult } from '../../bench/packed';
import { DEVICE_SECTIONS, deviceSection, type DeviceSection } from '../../bench/device-check';
import { renderDeviceCheck } from '../../bench/device-report';
import { printJson } from '../context';
import { CliError } from '../errors';

/**
 * `lth bench`: training throughput on every backend against PyTorch, matMul ceilings, an IMP round, ticket
 * save/load, event-loop delay while serving, parallel runs, peak memory and the end-to-end check (issue 5).
 * `--task` runs one measurement that needs a fresh process of its own; the benchmark starts those itself.
 */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure training speed (against PyTorch where installed), memory and responsiveness on this machine')
    .option('--json', 'print the results as one JSON object')
    .option('--write <file>', 'write the results as Markdown (BENCHMARKS.md)')
    .option('--quick', 'fewer, shorter measurements (about a minute)')
    .addOption(new Option('--task <name>', 'internal: one measurement in this process').choices(['serve-delay', 'memory', 'packed', 'device']).hideHelp())
    .addOption(new Option('--section <name>', 'internal: the section of --task device (scripts/device-check)').choices([...DEVICE_SECTIONS]).hideHelp())
    .addOption(new Option('--budget <s>', 'internal: seconds --task device may take').hideHelp())
    .addOption(new Option('--device-report <file>', "internal: print the BENCHMARKS.md fragment of a device check's JSON").hideHelp())
    .addOption(new Option('--experiment', 'internal: --task packed also times the small IMP experiment packed vs unpacked').hideHelp())
    .addOption(new Option('--markdown', 'internal: --task packed prints its BENCHMARKS.md section instead of JSON').hideHelp())
    .addOption(new Option('--experiment-iterations <n>', 'internal: iterations per run of that experiment (default 1000, --quick 100)').hideHelp())
    .addOption(new Option('--no-rows', 'internal: --task packed skips the throughput rows').hideHelp())
    .addOption(new Option('--render <files>', 'internal: print the packed-training section from saved --task packed JSON files (comma-separated)').hideHelp())
    .addOption(new Option('--net <name>', 'internal: network of --task memory').choices(['lenet300', 'conv2']).default('lenet300').hideHelp())
    .action(async (opts: { json?: boolean; write?: string; quick?: boolean; task?: string; net: BenchNet; experiment?: boolean; markdown?: boolean; render?: string; experimentIterations?: string; rows?: boolean; section?: DeviceSection; budget?: string; deviceReport?: string }, cmd: Command) => {
      const backend = (cmd.optsWithGlobals<{ backend?: string }>().backend ?? 'auto') as BackendChoice;
      const quick = Boolean(opts.quick);
      if (opts.task === 'serve-delay') return printJson(await serveDelay({ quick, backend }));
      if (opts.task === 'memory') return printJson(await memoryTask(opts.net, quick, backend));
      if (opts.deviceReport) {
        process.stdout.write(`${renderDeviceCheck(JSON.parse(readFileSync(opts.deviceReport, 'utf8')) as Record<string, unknown>)}\n`);
        return;
      }
      if (opts.task === 'device') {
        if (!opts.section) throw new CliError('--task device needs --section');
        const budgetS = Number(opts.budget ?? 300);
        if (!(budgetS > 0)) throw new CliError(`--budget: expected seconds > 0, got '${opts.budget}'`);
        await deviceSection(opts.section, { quick, budgetS, log: (line) => process.stderr.write(`${line}\n`) });
        return;
      }
      if (opts.render) {
        const results = opts.render.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as PackedResult);
        process.stdout.write(`${renderPacked(results).join('\n')}\n`);
        return;
      }
      if (opts.task === 'packed') {
        await initBackend(backend);
        const r = await packedBench({
          quick,
          experiment: Boolean(opts.experiment),
          experimentIterations: opts.experimentIterations ? Number(opts.experimentIterations) : undefined,
          rows: opts.rows !== false,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        if (opts.markdown) process.stdout.write(`${renderPacked([r]).join('\n')}\n`);
        else printJson(r);
        return;
      }
      if (opts.task) throw new CliError(`unknown bench task '${opts.task}'`);
      const report = await runBench({ quick, backend, log: (line) => process.stderr.write(`${line}\n`) });
      const md = renderMarkdown(report);
      if (opts.write) writeFileSync(opts.write, `${md}\n`);
      if (opts.json) printJson(report);
      else process.stdout.write(`${md}\n`);
      // Pool processes and sockets are closed; a stray handle must not keep the benchmark alive.
      process.exitCode = 0;
    });
}
