import { BATCH, LENET_STEP_FLOPS, NET_TITLE } from './networks';
import { describeChunks } from './throughput';
import type { BackendSection } from './training';
import type { BenchReport } from './types';
import { renderPacked } from './packed';

const row = (cells: (string | number | null | undefined)[]) => `| ${cells.map((c) => (c === null || c === undefined ? '-' : String(c))).join(' | ')} |`;
const head = (cells: string[]) => `${row(cells)}\n${row(cells.map(() => '---'))}`;
const mark = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');

/** BENCHMARKS.md (and the table `lth bench` prints): the machine, the targets of issue 5, every number. */
export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# LTH Lab benchmarks', '');
  out.push(
    `Written by \`npm run bench\` (= \`lth bench --write BENCHMARKS.md\`${r.quick ? ' --quick' : ''}) on ${m.date}${m.gitCommit ? ` at commit ${m.gitCommit}` : ''}, ` +
      `in one run of ${Math.round(r.durationSeconds)} s on one machine. ${r.quick ? '**Quick mode: fewer and shorter chunks; the end-to-end check ran a smaller command.** ' : ''}` +
      'Re-run it with that one command; `lth bench --json` prints the same numbers as JSON.',
    '',
  );
  out.push('## Machine', '');
  out.push(head(['', '']));
  out.push(row(['CPU', `${m.cpuModel}, ${m.cores} cores`]), row(['memory', `${m.memoryGiB} GiB`]), row(['OS', m.os]), row(['Node', m.node]));
  out.push(row(['LTH Lab / tfjs', `${m.lthLab} / ${m.tfjs}`]), row(['PyTorch peer', r.torch.version ? `torch ${r.torch.version} (CPU, ${'`/usr/bin/python3`'})` : `not available: ${r.torch.reason}`]));
  out.push(row(['load average (1/5/15 min)', `at start ${m.loadAverageAtStart.join(' / ')}; at end ${r.loadAverageAtEnd.join(' / ')}`]));
  out.push(row(['backends', [...r.training.map((s) => `${s.backend} (${s.detail})`), ...r.unavailableBackends.map((u) => `${u.backend}: not available`)].join('; ')]));
  out.push('');

  out.push('## Targets of issue 5', '');
  out.push(head(['target', 'measured', 'result', 'margin']));
  for (const t of r.targets) out.push(row([t.goal, t.value, mark(t.met), t.margin]));
  out.push('');

  out.push('## Training throughput', '');
  out.push(TRAINING_HOW, '');
  out.push(...renderTrainingRows(r.training));
  out.push('');
  out.push('### matMul ceiling', '');
  out.push(`A LeNet-300-100 step is ${(LENET_STEP_FLOPS / 1e6).toFixed(1)} MFLOP (3 x 2 x 266,200 x 60).`, '');
  out.push(head(['backend', 'matMul', 'GFLOP/s', 'ms/call', 'LeNet step GFLOP/s', 'fraction of this ceiling']));
  for (const s of r.training) {
    const lenet = s.rows.find((x) => x.network === 'lenet300');
    s.matmul.forEach((mm, i) => {
      const frac = i === 0 ? lenet?.fractionOf1024 : lenet?.fractionOfLayer1;
      out.push(row([s.backend, mm.shape, mm.gflops, mm.msPerCall, lenet?.gflops, frac === undefined ? null : `${(frac * 100).toFixed(0)}%`]));
    });
  }
  out.push('');

  out.push(`## The whole application (backend: ${r.backend})`, '');
  out.push(head(['measurement', 'result', 'how']));
  out.push(row(['one IMP round, LeNet-300-100', `${(r.impRound.roundMs / 1000).toFixed(2)} s (round 0: ${(r.impRound.round0Ms / 1000).toFixed(2)} s)`, `round 1 of runImp: prune by magnitude, rewind, train ${r.impRound.iterations} iterations, evaluate every ${r.impRound.evalInterval} (${r.impRound.validationSize} val + 10000 test), store everything (SQLite sink)`]));
  const w = r.impRoundWebgpu;
  if (w) out.push(row(['one IMP round, LeNet-300-100, webgpu', `${(w.roundMs / 1000).toFixed(2)} s (round 0: ${(w.round0Ms / 1000).toFixed(2)} s)`, `the same round on ${w.detail}: ${w.iterations} iterations, evaluate every ${w.evalInterval}`]));
  out.push(row(['save a LeNet-300-100 ticket', `${r.tickets.saveMs} ms (max ${r.tickets.saveMsMax})`, `median of ${r.tickets.n}, store.tickets.save (mask + rewind + trained weights)`]));
  out.push(row(['load a LeNet-300-100 ticket', `${r.tickets.loadMs} ms (max ${r.tickets.loadMsMax})`, `median of ${r.tickets.n}, store.tickets.load`]));
  out.push(row(['event-loop delay while training (UI-serving process)', `p50 ${r.serve.p50Ms} ms, p99 ${r.serve.p99Ms} ms, max ${r.serve.maxMs} ms, mean ${r.serve.meanMs} ms`, `startServer + createLabServices({ runner: 'child' }) as \`lth serve\`, one WebSocket client (${r.serve.eventsToClient} events), ${r.serve.trainingSeconds} s of training: ${r.serve.experiment}; monitorEventLoopDelay at 1 ms, the 1 ms timer subtracted`]));
  out.push(row(['independent runs in parallel', `${r.parallel.speedup}x: ${r.parallel.parallelStepsPerSec} vs ${r.parallel.sequentialStepsPerSec} steps/s`, `${r.parallel.jobs} masked LeNet-300-100 runs x ${r.parallel.iterationsPerJob} iterations through processPoolExecutor with ${r.parallel.processes} processes (${(r.parallel.parallelMs / 1000).toFixed(1)} s) vs 1 (${(r.parallel.sequentialMs / 1000).toFixed(1)} s), evaluations included, processes started before timing`]));
  for (const mem of r.memory) out.push(row([`peak memory, ${mem.network} experiment`, `${mem.peakRssMB} MB RSS`, mem.experiment]));
  out.push(row(['end to end', `${r.endToEnd.wallSeconds} s`, `\`${r.endToEnd.command}\` (${r.endToEnd.status}, ${r.endToEnd.runs ?? '?'} runs, last ticket test accuracy ${r.endToEnd.finalTestAccuracy ?? '?'})`]));
  out.push('');
  if (r.packed?.length) out.push(...renderPacked(r.packed), '');
  return out.join('\n');
}

/** How the training table is measured (its paragraph in BENCHMARKS.md). */
export const TRAINING_HOW =
  "Through the engine's own `trainRun` on a job masked as in pruning round 1 (batch filling, augmentation, forward, custom gradients, masked optimizer, batch-norm statistics, loss sum, event-loop yields; evaluation excluded). " +
  "LeNet-300-100 (MNIST) and Conv-2: batch 60, Adam at the preset's learning rate, hidden dense 20%, output 10%, conv 10% pruned. " +
  'ResNet-20 (batch 128) and VGG-19 (batch 64): SGD momentum 0.9, weight decay 1e-4, crop+flip augmentation, batch norm, the 20% smallest conv weights pruned globally, output 0%. ' +
  'Conv-2, ResNet-20 and VGG-19 train on CIFAR-shaped random data (CIFAR-10 is not shipped). ' +
  'PyTorch trains the same network (its conv+fc weights per layer checked equal to the lab\'s: ResNet-20 270,896, VGG-19 20.0M), batch and masked optimizer with `torch.set_num_threads` = the threads of one LTH Lab training process. ' +
  'Chunks alternate PyTorch, LTH Lab, PyTorch, LTH Lab... so both see the same load; "best" is the least disturbed chunk, "median" the typical one; ' +
  '"chunks x steps" counts the LTH Lab steps timed (after the warmup steps of each chunk; a slow backend stops a chunk at its time budget).';

/** The training-throughput table: one row per backend and network. */
export function renderTrainingRows(sections: readonly BackendSection[]): string[] {
  const out: string[] = [];
  out.push(head(['backend', 'network', 'batch', 'LTH Lab steps/s (best)', 'examples/s', 'ms/step', 'median steps/s', 'PyTorch threads', 'PyTorch steps/s (best)', 'PyTorch median', 'LTH Lab / PyTorch (best)', '(median)', 'chunks x steps']));
  for (const s of sections) {
    for (const x of s.rows) {
      out.push(
        row([
          s.backend,
          NET_TITLE[x.network],
          x.batch ?? BATCH,
          x.lth.stepsPerSec,
          x.lth.examplesPerSec,
          x.lth.msPerStep,
          x.lth.medianStepsPerSec,
          x.torch?.device?.startsWith('cuda') ? x.torch.device : x.torch?.threads,
          x.torch?.stepsPerSec,
          x.torch?.medianStepsPerSec,
          x.ratio === null ? null : `${x.ratio}x`,
          x.ratioMedian === null ? null : `${x.ratioMedian}x`,
          describeChunks(x.lth),
        ]),
      );
    }
  }
  return out;
}
