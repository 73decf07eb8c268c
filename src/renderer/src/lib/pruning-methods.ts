import type { Ablation, ExperimentSpecInput, PruningMethod } from '../../../shared/spec';

/** Each pruning method in one sentence, with its paper: what the wizard shows beside the choice. */
export const METHOD_INFO: Record<PruningMethod, { label: string; sentence: string }> = {
  magnitude: { label: 'IMP (magnitude, rewind)', sentence: 'Train, prune the smallest trained weights, rewind the rest and repeat: the lottery ticket procedure (Frankle & Carbin 2019).' },
  snip: { label: 'SNIP', sentence: 'Before training, keep the weights whose removal would change the loss most, |∂L/∂w·w| on a labelled sample (Lee et al. 2019).' },
  grasp: { label: 'GraSP', sentence: 'Before training, remove the weights whose removal hurts gradient flow least, by −w·Hg from a Hessian-gradient product (Wang et al. 2020).' },
  synflow: { label: 'SynFlow', sentence: 'Before training and without data, iteratively keep the weights carrying the most synaptic flow |∂R/∂w·w| (Tanaka et al. 2020).' },
  'magnitude-init': { label: 'Magnitude at init', sentence: 'Before training, keep the largest initial weights across layers: the baseline of Frankle et al. (2021).' },
  random: { label: 'Random at init', sentence: 'Before training, keep the same fraction of every layer at random positions: the baseline of Frankle et al. (2021).' },
};

/**
 * The ablations, each with the paper it comes from: shuffle, reinit and score inversion from Frankle et al. 2021
 * ("Pruning neural networks at initialization: why are we missing the mark?"), sign flipping from Zhou et al. 2019
 * ("Deconstructing lottery tickets: zeros, signs, and the supermask").
 */
export const ABLATION_INFO: Record<Ablation, { label: string; sentence: string }> = {
  shuffle: {
    label: 'Layer-wise shuffle',
    sentence: 'Same number of weights per layer at new random positions: if accuracy survives, only the layer densities mattered (Frankle et al. 2021). The same distribution as the random-pruning control: with both ticked, one run trains and carries both names.',
  },
  reinit: { label: 'Reinitialise', sentence: 'Same mask, fresh weights from the initial distribution: does the mask need these particular initial values? (Frankle et al. 2021)' },
  sign: { label: 'Sign flip', sentence: 'Same mask and magnitudes with every sign flipped: do the initial signs matter? (Zhou et al. 2019)' },
  invert: {
    label: 'Score inversion',
    sentence: "Keep the lowest-scoring weights instead, as many as the method keeps: does the method's ranking matter? IMP's score is the magnitude, so the smallest survivors are kept (Frankle et al. 2021). Not for random pruning or a saved ticket.",
  },
};

export const SUPERMASK_SENTENCE = 'Also score every mask untrained, on θ and on the signed constant (layer std of θ × sign θ): supermasks, Zhou et al. 2019.';

/** Which weights the supermasks apply to; new experiments default to the rewind point. */
export const SUPERMASK_WEIGHTS_INFO: Record<'rewind' | 'init', string> = {
  rewind: 'θk, the rewind point (θ0 when k = 0): the analogue of Zhou et al.\'s supermask under late rewinding',
  init: 'θ0, the initialisation, as Zhou et al. 2019 (what experiments stored before this choice computed)',
};

/** The wizard's part of the form for issue 13, kept apart from the rest of WizardForm. */
export interface AtInitForm {
  method: PruningMethod;
  densitiesText: string;
  synflowIterations: number;
  ablations: Record<Ablation, boolean>;
  supermasks: boolean;
  supermaskWeights: 'init' | 'rewind';
}

export function atInitFromSpec(s: Partial<Pick<ExperimentSpecInput, 'ablations' | 'supermasks' | 'supermaskWeights'>> & { pruning?: { method?: PruningMethod; densities?: number[]; synflowIterations?: number } }): AtInitForm {
  const ab = s.ablations ?? [];
  return {
    method: s.pruning?.method ?? 'magnitude',
    densitiesText: (s.pruning?.densities ?? [0.5, 0.2, 0.1, 0.05]).join(', '),
    synflowIterations: s.pruning?.synflowIterations ?? 100,
    ablations: { shuffle: ab.includes('shuffle'), reinit: ab.includes('reinit'), sign: ab.includes('sign'), invert: ab.includes('invert') },
    supermasks: s.supermasks ?? false,
    // The wizard makes new experiments: their supermasks use the rewind point unless the spec it starts from says otherwise.
    supermaskWeights: s.supermaskWeights ?? 'rewind',
  };
}

/** '0.5, 0.2 0.1' -> [0.5, 0.2, 0.1]; a word that is not a number is an error for the field. */
export function parseDensities(text: string): { densities: number[]; error?: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const densities: number[] = [];
  for (const p of parts) {
    const x = Number(p);
    if (!/^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(p) || !Number.isFinite(x)) return { densities, error: `"${p}" is not a number: give fractions of weights kept, e.g. 0.5, 0.2, 0.1` };
    densities.push(x);
  }
  return { densities };
}

/** The spec fields the form sets: method and densities only for pruning at init, so an IMP spec stays as it was. */
export function atInitSpec(f: AtInitForm): { pruning: { method: PruningMethod; densities?: number[]; synflowIterations: number }; ablations: Ablation[]; supermasks: boolean; supermaskWeights?: 'init' | 'rewind'; error?: string } {
  const parsed = f.method === 'magnitude' ? { densities: [] as number[] } : parseDensities(f.densitiesText);
  return {
    pruning: { method: f.method, ...(f.method === 'magnitude' ? {} : { densities: parsed.densities }), synflowIterations: f.synflowIterations },
    ablations: (Object.keys(f.ablations) as Ablation[]).filter((a) => f.ablations[a]),
    supermasks: f.supermasks,
    // Written explicitly for a new experiment, and only with supermasks (the field is refused without them).
    ...(f.supermasks ? { supermaskWeights: f.supermaskWeights } : {}),
    error: parsed.error,
  };
}
