import { Command } from 'commander';
import { maskOverlap, type MaskOverlap } from '../../engine/analyses/overlap';
import type { Mask } from '../../engine/types';
import type { LabRuntime } from '../../services';
import { printJson, withServices } from '../context';
import { CliError } from '../errors';

interface NamedMask {
  ref: string;
  label: string;
  layers: string[];
  mask: Mask;
}

/** `ticket:ID` (or a bare ticket id) or `experiment:ID:TRIAL:ROUND`: a stored mask and how to name it. */
function loadMask(services: LabRuntime, ref: string): NamedMask {
  const store = services.store;
  const exp = /^experiment:([^:]+):(\d+):(\d+)$/.exec(ref);
  if (exp) {
    const [, id, trial, round] = exp;
    const layers = store.experiments.layers(id!);
    const mask = store.artifacts.mask(id!, Number(trial), Number(round));
    if (!mask) {
      if (Number(round) === 0) return { ref, label: `${id} t${trial} r0`, layers: layers.map((l) => l.name), mask: layers.map((l) => new Uint8Array(l.weights).fill(1)) };
      throw new CliError(`${ref}: experiment ${id} has no mask for trial ${trial} round ${round}`);
    }
    return { ref, label: `${id} t${trial} r${round}`, layers: layers.map((l) => l.name), mask };
  }
  if (ref.startsWith('experiment:')) throw new CliError(`${ref}: expected experiment:ID:TRIAL:ROUND, e.g. experiment:e_abc:0:3`);
  const id = ref.startsWith('ticket:') ? ref.slice('ticket:'.length) : ref;
  const t = store.tickets.load(id);
  return { ref, label: t.record.name, layers: t.layers.map((l) => l.name), mask: t.mask };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function matrix(masks: NamedMask[], cell: (o: MaskOverlap) => number): string {
  const names = masks.map((_, i) => `[${i + 1}]`);
  const rows = [['', ...names], ...masks.map((a, i) => [names[i]!, ...masks.map((b) => pct(cell(maskOverlap(a.mask, b.mask))))])];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((c, j) => c.padStart(w[j]!)).join('  ')).join('\n');
}

export function masksCommand(): Command {
  const overlap = new Command('overlap')
    .description('how alike stored masks are: normalised Hamming distance and IoU of the kept weights, per layer and overall')
    .argument('<masks...>', 'two or more masks: ticket:ID (or a ticket id) or experiment:ID:TRIAL:ROUND')
    .option('--json', 'print JSON only: every pair with per-layer numbers')
    .action(async (refs: string[], opts: { json?: boolean }, cmd: Command) => {
      if (refs.length < 2) throw new CliError('masks overlap: give at least two masks');
      await withServices(cmd, async (services) => {
        const masks = refs.map((r) => loadMask(services, r));
        const shape = (m: NamedMask) => m.mask.map((l) => l.length).join(',');
        for (const m of masks.slice(1)) {
          if (shape(m) !== shape(masks[0]!)) {
            throw new CliError(`masks of different shapes: ${masks[0]!.ref} has layers of [${shape(masks[0]!)}] weights, ${m.ref} has [${shape(m)}]`);
          }
        }
        const pairs = masks.flatMap((a, i) => masks.slice(i + 1).map((b, j) => ({ a: a.ref, b: b.ref, ...maskOverlap(a.mask, b.mask), j: i + 1 + j })));
        if (opts.json) {
          printJson({ masks: masks.map((m) => ({ ref: m.ref, label: m.label })), layers: masks[0]!.layers, pairs: pairs.map(({ j: _j, ...p }) => p) });
          return;
        }
        const legend = masks.map((m, i) => `[${i + 1}] ${m.label} (${m.ref})`).join('\n');
        process.stdout.write(`${legend}\n\nIoU of the kept weights (1 = identical)\n${matrix(masks, (o) => o.iou.overall)}\n\nHamming distance (fraction of positions that differ)\n${matrix(masks, (o) => o.hamming.overall)}\n`);
      });
    });
  return new Command('masks').description('mask analytics').addCommand(overlap);
}
