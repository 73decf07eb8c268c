import type { ExperimentSpecInput } from '../../../shared/spec';
import { sweepSpecs, type SweepLists } from '../../../shared/sweep';

/**
 * The wizard's comparison fields: the paper's deep-network comparisons as extra experiments beside the one the
 * form describes (what `lth run --rewind 0,500,2000` / `--warmup 0,20000` do on the CLI, named alike).
 */
export interface SweepForm {
  /** Rewind points compared with the form's own, as typed ("500, 2000"). */
  rewindText: string;
  /** Also the same experiment at warmup 0 (only while the form's warmup is > 0). */
  withoutWarmup: boolean;
}

export const emptySweep = (): SweepForm => ({ rewindText: '', withoutWarmup: false });

/** Frankle et al. 2019 compare ResNet-20 rewound to 0 against k = 500 and 2000. */
export const PAPER_REWIND_POINTS = [0, 500, 2000] as const;

export const SWEEP_REWIND_SENTENCE =
  'one experiment each, same seeds and controls: rewinding to 0 vs late (Frankle et al. 2019)';
export const SWEEP_WARMUP_SENTENCE = 'warmup vs none at this rate, same seeds (Frankle & Carbin 2019, Figs. 7–8)';

/** Form error keys of the two fields (FIELD_LABELS names them). */
export const SWEEP_FIELDS = { rewind: 'sweep.rewind', warmup: 'sweep.warmup' } as const;

export interface PlannedExperiment {
  name: string;
  spec: ExperimentSpecInput;
  rewind: number;
  warmup: number;
}

/** Which comparisons the spec allows: rewinding is IMP's (not pruning at init's), and an instability analysis sweeps its own points. */
export function sweepOffers(spec: ExperimentSpecInput): { rewind: boolean; warmup: boolean } {
  const imp = !spec.stability;
  return {
    rewind: imp && (spec.pruning.method ?? 'magnitude') === 'magnitude',
    warmup: imp && (spec.training.schedule?.warmupIterations ?? 0) > 0,
  };
}

/**
 * The experiments Start creates: the form's own spec, or one per combination of rewind point and warmup, with the
 * CLI's names; errors keyed by SWEEP_FIELDS, naming the value at fault. The form's own values are its fields'
 * business (their errors show there), so only the added values are reported here.
 */
export function sweepPlan(spec: ExperimentSpecInput, f: SweepForm): { experiments: PlannedExperiment[]; errors: Record<string, string>; lists: SweepLists } {
  const offers = sweepOffers(spec);
  const errors: Record<string, string> = {};
  const ownRewind = spec.pruning.rewindIteration ?? 0;
  const ownWarmup = spec.training.schedule?.warmupIterations ?? 0;
  const lists: SweepLists = {};
  if (offers.rewind && f.rewindText.trim()) {
    const extra: number[] = [];
    for (const p of f.rewindText.split(/[\s,]+/).filter(Boolean)) {
      if (!/^\d+$/.test(p)) {
        errors[SWEEP_FIELDS.rewind] = `"${p}" is not a whole number of iterations`;
        break;
      }
      // The form's own point may be listed ("0, 500, 2000" with rewind 0): it is the experiment already there.
      if (Number(p) !== ownRewind) extra.push(Number(p));
    }
    if (!errors[SWEEP_FIELDS.rewind] && extra.length) lists.rewind = [ownRewind, ...extra].sort((a, b) => a - b);
  }
  if (offers.warmup && f.withoutWarmup) lists.warmup = [0, ownWarmup];
  const { entries, problems } = sweepSpecs(spec, lists);
  for (const p of problems) {
    if (!p.axis) continue;
    const own = p.axis === 'rewind' ? ownRewind : ownWarmup;
    if (p.value === own && !/listed twice/.test(p.message)) continue;
    errors[SWEEP_FIELDS[p.axis]] ??= /listed twice/.test(p.message) ? p.message : `${p.value} ${p.message}`;
  }
  return {
    experiments: entries.map((e) => ({ name: e.spec.name ?? 'IMP', spec: e.spec, rewind: e.rewind, warmup: e.warmup })),
    errors,
    lists,
  };
}
