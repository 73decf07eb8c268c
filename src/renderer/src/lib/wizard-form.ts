import { ExperimentSpecSchema, type ExperimentSpecInput } from '../../../shared/spec';
import type { Preset } from '../../../shared/presets';
import { atInitFromSpec, atInitSpec, type AtInitForm } from './pruning-methods';
import { analysisFromSpec, analysisSpec, type AnalysisForm } from './analysis-form';

/** The wizard's editable state: the spec, with layer lists as text so a half-typed list is not lost. */
export interface WizardForm {
  name: string;
  dataset: string;
  preset: string;
  convText: string;
  denseText: string;
  dropout: number;
  training: { optimizer: 'adam' | 'sgd'; learningRate: number; momentum: number; batchSize: number; iterations: number; evalInterval: number; validationSize: number };
  pruning: { strategy: 'layerwise' | 'global'; rates: { conv: number; dense: number; output: number }; globalRate: number; rounds: number; oneShot: boolean; rewindIteration: number };
  controls: { reinit: boolean; random: boolean };
  /** Pruning method, densities, ablations, supermasks (issue 13; lib/pruning-methods.ts). */
  atInit: AtInitForm;
  /** Experiment kind, retraining mode, schedule, early bird, instability (issue 12; lib/analysis-form.ts). */
  analysis: AnalysisForm;
  trials: number;
  seed: number;
  tolerance: number;
}

export function formFromPreset(p: Preset, dataset?: string): WizardForm {
  const s = p.spec;
  const t = s.training;
  const pr = s.pruning;
  return {
    name: '',
    dataset: dataset ?? s.dataset,
    preset: p.id,
    convText: (s.network.conv ?? []).join(', '),
    denseText: (s.network.dense ?? []).join(', '),
    dropout: s.network.dropout ?? 0,
    training: {
      optimizer: t.optimizer ?? 'adam',
      learningRate: t.learningRate,
      momentum: t.momentum ?? 0.9,
      batchSize: t.batchSize,
      iterations: t.iterations,
      evalInterval: t.evalInterval ?? 100,
      validationSize: t.validationSize ?? 5000,
    },
    pruning: {
      strategy: pr.strategy ?? 'layerwise',
      rates: { ...pr.rates },
      globalRate: pr.globalRate ?? 0.2,
      rounds: pr.rounds,
      oneShot: pr.oneShot ?? false,
      rewindIteration: pr.rewindIteration ?? 0,
    },
    controls: { reinit: (s.controls ?? []).includes('reinit'), random: (s.controls ?? []).includes('random') },
    atInit: atInitFromSpec(s),
    analysis: analysisFromSpec(s),
    trials: s.trials ?? 1,
    seed: s.seed ?? 0,
    tolerance: s.tolerance ?? 0.002,
  };
}

/** '64, 64, pool' -> [64, 64, 'pool']; a word that is neither is an error for that field. */
export function parseLayers(text: string, allowPool: boolean): { layers: (number | 'pool')[]; error?: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const layers: (number | 'pool')[] = [];
  for (const p of parts) {
    if (allowPool && /^(pool|p)$/i.test(p)) layers.push('pool');
    else if (/^\d+$/.test(p)) layers.push(Number(p));
    else return { layers, error: `"${p}" is not ${allowPool ? 'a width or pool' : 'a width'}` };
  }
  return { layers };
}

/** The network keeps its preset's name only while its layers are still the preset's. */
function presetName(p: Preset | undefined, conv: (number | 'pool')[], dense: number[]): string | undefined {
  if (!p?.spec.network.preset) return undefined;
  const same = (a: readonly unknown[] = [], b: readonly unknown[] = []) => a.length === b.length && a.every((x, i) => x === b[i]);
  return same(p.spec.network.conv, conv) && same(p.spec.network.dense, dense) ? p.spec.network.preset : undefined;
}

export function specFromForm(f: WizardForm, preset?: Preset): { spec: ExperimentSpecInput; localErrors: Record<string, string> } {
  const conv = parseLayers(f.convText, true);
  const dense = parseLayers(f.denseText, false);
  const localErrors: Record<string, string> = {};
  if (conv.error) localErrors['network.conv'] = conv.error;
  if (dense.error) localErrors['network.dense'] = dense.error;
  const pname = presetName(preset, conv.layers, dense.layers as number[]);
  const atInit = atInitSpec(f.atInit);
  if (atInit.error) localErrors['pruning.densities'] = atInit.error;
  const analysis = analysisSpec(f.analysis);
  Object.assign(localErrors, analysis.errors);
  const spec: ExperimentSpecInput = {
    ...(f.name.trim() ? { name: f.name.trim() } : preset ? { name: preset.title } : {}),
    dataset: f.dataset,
    network: { ...(pname ? { preset: pname } : {}), conv: conv.layers, dense: dense.layers as number[], dropout: f.dropout },
    training: { ...f.training, ...analysis.training },
    pruning: { ...f.pruning, rates: { ...f.pruning.rates }, ...atInit.pruning, ...analysis.pruning },
    ...analysis.extra,
    controls: [...(f.controls.reinit ? (['reinit'] as const) : []), ...(f.controls.random ? (['random'] as const) : [])],
    ablations: atInit.ablations,
    supermasks: atInit.supermasks,
    trials: f.trials,
    seed: f.seed,
    tolerance: f.tolerance,
  };
  return { spec, localErrors };
}

/** Field path -> first message, from the same schema main validates with. */
export function validate(spec: ExperimentSpecInput): Record<string, string> {
  const r = ExperimentSpecSchema.safeParse(spec);
  const out: Record<string, string> = {};
  if (r.success) return out;
  for (const i of r.error.issues) {
    const k = i.path.map(String).join('.') || '(spec)';
    out[k] ??= i.message;
  }
  return out;
}

/** Which wizard step owns a field path. */
export function stepOf(path: string): 'dataset' | 'network' | 'training' | 'pruning' {
  if (path.startsWith('network')) return 'network';
  if (path.startsWith('training')) return 'training';
  if (path === 'dataset' || path === 'name') return 'dataset';
  return 'pruning';
}

/** Dotted paths whose values differ between two forms (leaves only). */
export function diffPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

export function getPath(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);
}

export function setPath(o: object, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let x = o as Record<string, unknown>;
  for (const k of keys) x = x[k] as Record<string, unknown>;
  x[last] = value;
}
