import { ExperimentSpecSchema, type ExperimentSpec, type ExperimentSpecInput } from './spec';

/**
 * The paper's deep-network comparisons as one request: the same experiment once per rewind point and per warmup
 * (Frankle et al. 2019, late rewinding; Frankle & Carbin 2019, Figures 7-8, warmup), same seeds and controls
 * otherwise, so Compare and `lth export --experiment A,B,C` overlay them. The CLI's `--rewind 0,500,2000` /
 * `--warmup 0,20000` and the wizard's comparison fields build their specs here, so both name them alike.
 */

export type SweepAxis = 'rewind' | 'warmup';

export interface SweepLists {
  /** Rewind iterations k, one experiment each; absent or one value: the spec's own (one value replaces it). */
  rewind?: readonly number[] | undefined;
  /** Warmup iterations, one experiment each; absent or one value as above. */
  warmup?: readonly number[] | undefined;
}

export interface SweepEntry<S> {
  /** The spec to send, named for what differs ("ResNet-20 · rewind 500"). */
  spec: S;
  /** The same spec through the shared schema, when it passes. */
  parsed: ExperimentSpec | null;
  rewind: number;
  warmup: number;
}

export interface SweepProblem {
  /** The list the problem comes from, or null for a problem of the spec itself (the same for every entry). */
  axis: SweepAxis | null;
  /** The spec path the schema names ('pruning.rewindIteration'). */
  path: string;
  /** The listed value at fault, when one is. */
  value: number | null;
  message: string;
}

const PATHS: Record<SweepAxis, string> = { rewind: 'pruning.rewindIteration', warmup: 'training.schedule.warmupIterations' };

/** `${name ?? 'IMP'} · rewind 500 · warmup 0`: only the axes that take two or more values are in the name. */
export function sweepName(name: string | undefined, parts: { rewind?: number | null; warmup?: number | null }): string {
  const words = [parts.rewind != null ? `rewind ${parts.rewind}` : null, parts.warmup != null ? `warmup ${parts.warmup}` : null].filter(Boolean);
  return words.length ? `${name ?? 'IMP'} · ${words.join(' · ')}` : (name ?? 'IMP');
}

/** Whether the lists ask for more than one experiment. */
export function isSweep(lists: SweepLists): boolean {
  return (lists.rewind?.length ?? 0) > 1 || (lists.warmup?.length ?? 0) > 1;
}

/**
 * One spec per combination (rewind outer, warmup inner, in the lists' order), each checked by the shared schema.
 * A value listed twice is a problem of its list; a schema issue on rewindIteration or warmupIterations is the
 * list's, with the value at fault. Problems do not stop the others: a form shows them all, a CLI the first.
 */
export function sweepSpecs<S extends ExperimentSpecInput>(base: S, lists: SweepLists): { entries: SweepEntry<S>[]; problems: SweepProblem[] } {
  const problems: SweepProblem[] = [];
  for (const axis of ['rewind', 'warmup'] as const) {
    const values = lists[axis] ?? [];
    const twice = values.find((v, i) => values.indexOf(v) !== i);
    if (twice !== undefined) problems.push({ axis, path: PATHS[axis], value: twice, message: `${twice} is listed twice` });
  }
  const named = { rewind: (lists.rewind?.length ?? 0) > 1, warmup: (lists.warmup?.length ?? 0) > 1 };
  const baseRewind = base.pruning.rewindIteration ?? 0;
  const baseWarmup = base.training.schedule?.warmupIterations ?? 0;
  const entries: SweepEntry<S>[] = [];
  const seen = new Set<string>();
  for (const k of lists.rewind?.length ? lists.rewind : [baseRewind]) {
    for (const w of lists.warmup?.length ? lists.warmup : [baseWarmup]) {
      const name = named.rewind || named.warmup ? sweepName(base.name, { rewind: named.rewind ? k : null, warmup: named.warmup ? w : null }) : base.name;
      const spec = {
        ...base,
        ...(name !== undefined ? { name } : {}),
        pruning: { ...base.pruning, rewindIteration: k },
        training: { ...base.training, schedule: { ...base.training.schedule, warmupIterations: w } },
      } as S;
      const r = ExperimentSpecSchema.safeParse(spec);
      if (!r.success) {
        for (const issue of r.error.issues) {
          const path = issue.path.map(String).join('.') || '(spec)';
          const axis = path === PATHS.rewind ? 'rewind' : path === PATHS.warmup ? 'warmup' : null;
          const value = axis === 'rewind' ? k : axis === 'warmup' ? w : null;
          // The same spec-wide issue comes back from every entry: report it once.
          const key = `${path}\u0000${value}\u0000${issue.message}`;
          if (seen.has(key)) continue;
          seen.add(key);
          problems.push({ axis, path, value, message: issue.message });
        }
      }
      entries.push({ spec, parsed: r.success ? r.data : null, rewind: k, warmup: w });
    }
  }
  return { entries, problems };
}
