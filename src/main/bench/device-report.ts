/**
 * The BENCHMARKS.md fragment of a device check (scripts/device-check): read from the device-check.json that the
 * launcher assembled, so a section that failed or was stopped shows its reason where its numbers would be.
 */

type Json = Record<string, unknown>;

const obj = (x: unknown): Json | null => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Json) : null);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

function fmt(x: number | null, unit = ''): string {
  if (x === null) return '—';
  const s = x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : String(Number(x.toPrecision(3)));
  return `${s}${unit}`;
}

/** A step's value, or why there is none: its error, its section's error, or "not run". */
function pick(report: Json, section: string, stepName: string): { v: Json | null; why: string } {
  const s = obj(report[section]);
  if (!s) return { v: null, why: 'not run' };
  if (typeof s.error === 'string') return { v: null, why: s.error };
  const st = obj(s[stepName]);
  if (!st) return { v: null, why: typeof s.stopped === 'string' ? s.stopped : 'not measured' };
  if (typeof st.error === 'string') return { v: null, why: st.error };
  if (typeof st.skipped === 'string') return { v: null, why: st.skipped };
  return { v: st, why: '' };
}

const cell = (p: { v: Json | null; why: string }, f: (v: Json) => string): string => (p.v ? f(p.v) : `— (${p.why.slice(0, 160)})`);
const at = (v: Json, ...path: string[]): unknown => path.reduce<unknown>((o, k) => obj(o)?.[k], v);

export function renderDeviceCheck(report: Json): string {
  const meta = obj(report.meta) ?? {};
  const out: string[] = [];
  const row = (cells: string[]) => out.push(`| ${cells.join(' | ')} |`);
  const adapter = pick(report, 'throughput', 'adapter').v ?? pick(report, 'ceiling', 'adapter').v;
  const peerDevice = pick(report, 'peer', 'device');
  const torchDevice = peerDevice.v ? String(peerDevice.v.device) : `no PyTorch peer (${peerDevice.why})`;
  out.push(`### Device check${meta.quick ? ' (--quick)' : ''}: ${String(meta.started ?? '')}`);
  out.push('');
  out.push(`Written by \`scripts/device-check\` (\`run${meta.quick ? ' --quick' : ''}\`) in ${fmt(num(meta.seconds), ' s')}${meta.host ? ` on ${String(meta.host)}` : ''}${meta.gpu ? `, GPU: ${String(meta.gpu)}` : ''}.`);
  out.push(`WebGPU: ${adapter ? String(adapter.detail) : 'no adapter'}. PyTorch: ${torchDevice}.${meta.vulkan ? ` Vulkan: ${String(meta.vulkan)}.` : ''}`);
  out.push('');

  out.push('| LeNet-300-100 training (batch 60, masked Adam) | run-steps/s | examples/s |');
  out.push('| --- | --- | --- |');
  const lenet = pick(report, 'throughput', 'lenet300');
  row(['WebGPU, one run (trainRun)', cell(lenet, (v) => fmt(num(v.stepsPerSec))), cell(lenet, (v) => fmt(num(v.examplesPerSec)))]);
  const plenet = pick(report, 'peer', 'lenet300');
  row(['PyTorch, one run (fp32)', cell(plenet, (v) => fmt(num(at(v, 'fp32', 'stepsPerSec')))), cell(plenet, (v) => fmt(num(at(v, 'fp32', 'examplesPerSec'))))]);
  const packedKeys = Object.keys({ ...(obj(report.throughput) ?? {}), ...(obj(report.peer) ?? {}) }).filter((k) => /^packedR\d+$/.test(k) && k !== 'packedR1');
  for (const R of [...new Set(packedKeys)].map((k) => Number(k.slice(7))).sort((a, b) => a - b)) {
    const p = pick(report, 'throughput', `packedR${R}`);
    row([`WebGPU, ${R} runs packed (trainPacked)`, cell(p, (v) => `${fmt(num(v.packedRunStepsPerSec))} (${fmt(num(v.vsOneRun))}x one run)`), cell(p, (v) => fmt((num(v.packedRunStepsPerSec) ?? 0) * 60))]);
    row([`WebGPU, ${R} runs one after another`, cell(p, (v) => fmt(num(v.sequentialRunStepsPerSec))), cell(p, (v) => fmt((num(v.sequentialRunStepsPerSec) ?? 0) * 60))]);
    const q = pick(report, 'peer', `packedR${R}`);
    row([`PyTorch, ${R} runs one after another`, cell(q, (v) => fmt(num(at(v, 'sequential', 'runStepsPerSec')))), cell(q, (v) => fmt((num(at(v, 'sequential', 'runStepsPerSec')) ?? 0) * 60))]);
    row([`PyTorch, ${R} runs batched (torch.bmm)`, cell(q, (v) => fmt(num(at(v, 'batched', 'runStepsPerSec')))), cell(q, (v) => fmt((num(at(v, 'batched', 'runStepsPerSec')) ?? 0) * 60))]);
  }
  out.push('');

  out.push('| step time | WebGPU ms/step | PyTorch fp32 (TF32 off) ms/step | PyTorch TF32 ms/step | WebGPU / PyTorch fp32 (speed) |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const [net, title] of [['conv2', 'Conv-2 (batch 60, Adam)'], ['resnet20', 'ResNet-20 (batch 128, SGD momentum, BN, crop+flip)']] as const) {
    const w = pick(report, 'throughput', net);
    const p = pick(report, 'peer', net);
    const wm = w.v ? num(w.v.msPerStep) : null;
    const pm = p.v ? num(at(p.v, 'fp32', 'msPerStep')) : null;
    row([title, cell(w, () => fmt(wm)), cell(p, () => fmt(pm)), cell(p, (v) => fmt(num(at(v, 'tf32', 'msPerStep')))), wm && pm ? `${fmt(pm / wm)}x` : '—']);
  }
  out.push('');

  out.push('| fp32 matMul | WebGPU GFLOP/s | PyTorch fp32 GFLOP/s | PyTorch TF32 GFLOP/s |');
  out.push('| --- | --- | --- | --- |');
  const ceiling = obj(report.ceiling) ?? {};
  const sizes = Object.keys({ ...ceiling, ...(obj(report.peer) ?? {}) }).filter((k) => /^matmul\d+$/.test(k));
  for (const k of [...new Set(sizes)].sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)))) {
    const n = k.slice(6);
    const w = pick(report, 'ceiling', k);
    const p = pick(report, 'peer', k);
    row([`${n}x${n}`, cell(w, (v) => fmt(num(v.gflops))), cell(p, (v) => fmt(num(at(v, 'fp32', 'gflops')))), cell(p, (v) => fmt(num(at(v, 'tf32', 'gflops'))))]);
  }
  if (!sizes.length) row(['—', pick(report, 'ceiling', 'matmul').why, '', '']);
  out.push('');

  const e = pick(report, 'experiment', 'run');
  if (e.v) {
    const v = e.v;
    out.push(
      `IMP experiment on WebGPU: \`${String(v.command)}\`: **${fmt(num(v.wallSeconds), ' s')}** end to end, ${String(v.runsDone)} of ${String(v.runsPlanned)} runs (${String(v.runSteps)} run-steps, ${fmt(num(v.runStepsPerSec))} run-steps/s)${v.stopped ? ` (${String(v.stopped)})` : ''}. The paper's version (5 trials x (16 ticket rounds + 15 x 2 control rounds) x 50K iterations = ${(num(v.paperRunSteps) ?? 0).toLocaleString('en-US')} run-steps) projects to **${fmt(num(v.projectedPaperHours), ' h')}** at that rate (linear in run-steps: there the same trials and controls pack together as here, over 16 rounds instead of ${String(v.rounds ?? 5)}).`,
    );
  } else out.push(`IMP experiment on WebGPU: — (${e.why})`);

  const problems: string[] = [];
  for (const section of ['doctor', 'throughput', 'ceiling', 'peer', 'experiment']) {
    const s = obj(report[section]);
    if (!s) continue;
    if (typeof s.error === 'string') problems.push(`- ${section}: ${s.error}`);
    if (typeof s.stopped === 'string') problems.push(`- ${section}: ${s.stopped}`);
    for (const [k, v] of Object.entries(s)) if (typeof obj(v)?.error === 'string') problems.push(`- ${section} / ${k}: ${String(obj(v)!.error)}`);
  }
  if (problems.length) out.push('', 'Not measured, and why:', '', ...problems);
  return out.join('\n');
}
