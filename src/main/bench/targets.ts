import type { BenchReport, Target } from './types';

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** At least `goal` (higher is better). */
function atLeast(id: string, goal: string, value: number | null, want: number, unit: string, show: (x: number) => string): Target {
  if (value === null || !Number.isFinite(value)) return { id, goal, value: 'not measured', met: null, margin: '' };
  const met = value >= want;
  const margin = met ? `met, ${pct(value / want - 1)} above` : `missed by ${show(want - value)}${unit} (${pct(1 - value / want)} short; needs ${(want / value).toFixed(2)}x)`;
  return { id, goal, value: `${show(value)}${unit}`, met, margin };
}

/** Under `limit` (lower is better). */
function below(id: string, goal: string, value: number | null, limit: number, unit: string, show: (x: number) => string): Target {
  if (value === null || !Number.isFinite(value)) return { id, goal, value: 'not measured', met: null, margin: '' };
  const met = value < limit;
  const margin = met ? `met, ${pct(1 - value / limit)} under` : `missed by ${show(value - limit)}${unit} (${pct(value / limit - 1)} over)`;
  return { id, goal, value: `${show(value)}${unit}`, met, margin };
}

export function evaluateTargets(r: Omit<BenchReport, 'targets'>): Target[] {
  const wasm = r.training.find((s) => s.backend === 'wasm');
  const lenet = wasm?.rows.find((x) => x.network === 'lenet300');
  const f2 = (x: number) => x.toFixed(2);
  const f1 = (x: number) => x.toFixed(1);
  const ratio = atLeast('lenet-vs-pytorch', 'LeNet-300-100 step on wasm >= 2x single-threaded PyTorch 1.13 (best chunk vs best chunk)', lenet?.ratio ?? null, 2, 'x', f2);
  if (lenet?.ratioMedian) ratio.value += ` (median vs median ${f2(lenet.ratioMedian)}x)`;
  const ceiling = atLeast('matmul-ceiling', 'fraction of the wasm 1024^2 matMul ceiling a LeNet step reaches: report it; 50% is the stretch', lenet?.fractionOf1024 ?? null, 0.5, '', (x) => pct(x));
  ceiling.margin = ceiling.margin.replace(/^missed by (\d+)%/, 'stretch missed by $1 points');
  if (lenet?.fractionOfLayer1) ceiling.value += ` (${pct(lenet.fractionOfLayer1)} of the layer-1 shape's ceiling)`;
  const e2eQuick = r.quick;
  return [
    ratio,
    ceiling,
    atLeast('parallel', `independent runs on ${r.machine.cores} cores: >= 1.8x the throughput of one after another`, r.parallel.speedup, 1.8, 'x', f2),
    below('event-loop-p99', 'event-loop delay p99 < 20 ms in the UI-serving process while training runs', r.serve.p99Ms, 20, ' ms', f1),
    below('ticket-save', 'saving a LeNet-300-100 ticket < 50 ms', r.tickets.saveMs, 50, ' ms', f1),
    below('ticket-load', 'loading a LeNet-300-100 ticket < 50 ms', r.tickets.loadMs, 50, ' ms', f1),
    e2eQuick
      ? { id: 'end-to-end', goal: 'lth run --preset lenet300-mnist --rounds 3 --iterations 600 --controls reinit < 60 s', value: `not run (--quick ran: ${r.endToEnd.command}, ${r.endToEnd.wallSeconds} s)`, met: null, margin: '' }
      : below('end-to-end', `${r.endToEnd.command} < 60 s end to end`, r.endToEnd.wallSeconds, 60, ' s', f1),
  ];
}
