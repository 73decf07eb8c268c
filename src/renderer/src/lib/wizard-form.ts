import { ExperimentSpecSchema, type ExperimentSpecInput } from '../../../shared/spec';
import type { Preset } from '../../../shared/presets';
import { atInitFromSpec, atInitSpec, type AtInitForm } from './pruning-methods';
import { analysisFromSpec, analysisSpec, type AnalysisForm } from './analysis-form';
import { networkFromSpec, networkSpec, sameArchitecture, type NetworkForm } from './network-form';

/** The wizard's editable state: the spec, with layer lists as text so a half-typed list is not lost. */
export interface WizardForm {
  name: string;
  dataset: string;
  preset: string;
  convText: string;
  denseText: string;
  dropout: number;
  /** Architecture (plain or residual), batch norm, pooling, init (lib/network-form.ts). */
  network: NetworkForm;
  training: {
    optimizer: 'adam' | 'sgd';
    learningRate: number;
    momentum: number;
    batchSize: number;
    iterations: number;
    evalInterval: number;
    validationSize: number;
    /** CIFAR crop + flip; reaches the spec only when on. */
    augment: boolean;
  };
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
    network: networkFromSpec(s.network),
    training: {
      optimizer: t.optimizer ?? 'adam',
      learningRate: t.learningRate,
      momentum: t.momentum ?? 0.9,
      batchSize: t.batchSize,
      iterations: t.iterations,
      evalInterval: t.evalInterval ?? 100,
      validationSize: t.validationSize ?? 5000,
      augment: t.augment === true,
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

/** The network keeps its preset's name only while its architecture is still the preset's. */
function presetName(p: Preset | undefined, network: ExperimentSpecInput['network']): string | undefined {
  if (!p?.spec.network.preset) return undefined;
  return sameArchitecture(p.spec.network, network) ? p.spec.network.preset : undefined;
}

export function specFromForm(f: WizardForm, preset?: Preset): { spec: ExperimentSpecInput; localErrors: Record<string, string> } {
  const residual = f.network.architecture === 'residual';
  // A residual network's conv stages come from its widths; the typed conv list waits for a switch back.
  const conv: ReturnType<typeof parseLayers> = residual ? { layers: [] } : parseLayers(f.convText, true);
  const dense = parseLayers(f.denseText, false);
  const localErrors: Record<string, string> = {};
  if (conv.error) localErrors['network.conv'] = conv.error;
  if (dense.error) localErrors['network.dense'] = dense.error;
  const deep = networkSpec(f.network, conv.layers.some((l) => l !== 'pool'));
  Object.assign(localErrors, deep.errors);
  const network = { conv: conv.layers, dense: dense.layers as number[], dropout: f.dropout, ...deep.fields };
  const pname = presetName(preset, network);
  const { augment, ...training } = f.training;
  // An instability analysis trains copy pairs: no pruning method, ablations or supermasks (the fields are hidden).
  const atInit = atInitSpec(f.analysis.kind === 'stability' ? { ...f.atInit, method: 'magnitude', ablations: { shuffle: false, reinit: false, sign: false }, supermasks: false } : f.atInit);
  if (atInit.error) localErrors['pruning.densities'] = atInit.error;
  const analysis = analysisSpec(f.analysis, deep.fields.batchNorm === true);
  Object.assign(localErrors, analysis.errors);
  const spec: ExperimentSpecInput = {
    ...(f.name.trim() ? { name: f.name.trim() } : preset ? { name: preset.title } : {}),
    dataset: f.dataset,
    network: { ...(pname ? { preset: pname } : {}), ...network },
    training: { ...training, ...(augment ? { augment: true } : {}), ...analysis.training },
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
