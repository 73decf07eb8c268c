import { ApiCallError } from '../api/client';

/**
 * Error messages in the user's words. Validation speaks schema ("Too small: expected number to be >=1",
 * "update.name: ..."); the window says which field, as its form labels it, and what to do.
 */
export const FIELD_LABELS: Record<string, string> = {
  name: 'Experiment name',
  dataset: 'Dataset',
  'network.conv': 'Conv layers',
  'network.dense': 'Dense widths',
  'network.dropout': 'Dropout',
  'network.residual': 'Architecture',
  'network.residual.widths': 'Stage widths',
  'network.residual.blocks': 'Blocks per stage',
  'network.batchNorm': 'Batch norm',
  'network.bnInit': 'Batch-norm γ init',
  'network.pooling': 'Pooling',
  'network.init': 'Initialisation',
  'training.optimizer': 'Optimizer',
  'training.learningRate': 'Learning rate',
  'training.momentum': 'Momentum',
  'training.batchSize': 'Batch size',
  'training.iterations': 'Iterations per round',
  'training.evalInterval': 'Evaluate every',
  'training.validationSize': 'Validation hold-out',
  'training.augment': 'Augmentation',
  'training.schedule.warmupIterations': 'Warmup iterations',
  'training.schedule.milestones': 'Decay at iterations',
  'training.schedule.gamma': 'Decay factor',
  'training.weightDecay': 'Weight decay',
  'pruning.strategy': 'Strategy',
  'pruning.rates': 'Pruning rates',
  'pruning.rates.conv': 'Rate: conv',
  'pruning.rates.dense': 'Rate: dense',
  'pruning.rates.output': 'Rate: output',
  'pruning.globalRate': 'Global rate',
  'pruning.rounds': 'Rounds',
  'pruning.oneShot': 'One-shot',
  'pruning.rewindIteration': 'Rewind to iteration',
  'sweep.rewind': 'Compare rewind points',
  'sweep.warmup': 'Also without warmup',
  controls: 'Controls',
  trials: 'Trials',
  seed: 'Seed',
  tolerance: 'Winning tolerance',
  // Ticket panel
  'update.name': 'Name',
  'update.notes': 'Notes',
  'update.tags': 'Tags',
  'update.tags.*': 'Tags',
  iterations: 'Iterations',
  datasetId: 'Dataset',
  folder: 'Folder',
  kind: 'Format',
  // Export panel
  formats: 'Formats',
  widthInches: 'Width',
  rounds: 'Rounds',
  ticketId: 'Ticket',
  experimentIds: 'Experiments',
  figure: 'Figure',
};

/** 'pruning.rates.dense' -> 'Rate: dense'; 'update.tags.3' -> 'Tags'; unknown paths -> their last word. */
export function fieldLabel(path: string, labels: Record<string, string> = FIELD_LABELS): string {
  if (labels[path]) return labels[path]!;
  const generic = path.replace(/\.\d+(?=\.|$)/g, '.*');
  if (labels[generic]) return labels[generic]!;
  const parent = path.replace(/\.\d+$/, '');
  if (parent !== path && labels[parent]) return labels[parent]!;
  const last = path.split('.').pop() ?? path;
  return last.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

const num = (s: string) => Number(s).toLocaleString('en-US');

/** The schema's wording -> what to do ("must be at least 1"); messages already in plain words pass through. */
export function plainMessage(message: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^Too small: expected number to be >=(-?[\d.e+]+)$/.exec(message))) return `must be at least ${num(m[1]!)}`;
  if ((m = /^Too small: expected number to be >(-?[\d.e+]+)$/.exec(message))) return `must be greater than ${num(m[1]!)}`;
  if ((m = /^Too big: expected number to be <=(-?[\d.e+]+)$/.exec(message))) return `must be at most ${num(m[1]!)}`;
  if ((m = /^Too big: expected number to be <(-?[\d.e+]+)$/.exec(message))) return `must be less than ${num(m[1]!)}`;
  if (/^Too small: expected string to have >=1 characters?$/.test(message)) return 'cannot be empty';
  if ((m = /^Too small: expected string to have >=(\d+) characters$/.exec(message))) return `needs at least ${m[1]} characters`;
  if ((m = /^Too big: expected string to have <=(\d+) characters$/.exec(message))) return `is too long: at most ${num(m[1]!)} characters`;
  if ((m = /^Too small: expected array to have >=(\d+) items?$/.exec(message))) return `needs at least ${m[1]} ${m[1] === '1' ? 'entry' : 'entries'}`;
  if ((m = /^Too big: expected array to have <=(\d+) items$/.exec(message))) return `allows at most ${m[1]} entries`;
  if (/^Invalid input: expected int, received number$/.test(message)) return 'must be a whole number';
  if (/^Invalid input: expected number, received (string|NaN|undefined|null)$/.test(message)) return 'enter a number';
  if (/^Invalid input: expected string, received undefined$/.test(message)) return 'is required';
  if ((m = /^Invalid option: expected one of (.+)$/.exec(message))) return `choose one of ${m[1]!.replace(/"/g, '').split('|').join(', ')}`;
  if ((m = /^Unrecognized keys?: (.+)$/.exec(message))) return `has a field this version does not know: ${m[1]}`;
  return message;
}

/** "Iterations per round must be at least 1": the field's label, then what to do. */
export function humanIssue(field: string, message: string, labels: Record<string, string> = FIELD_LABELS): string {
  // Other fields named inside the message ("must be below training.iterations") read as their labels too.
  const plain = plainMessage(message).replace(/\b[a-z]+(?:\.[a-zA-Z]+)+\b/g, (p) => (labels[p] ? `“${labels[p]}”` : p));
  if (!field || field === '(spec)') return capitalize(plain);
  const label = fieldLabel(field, labels);
  return /^(must|cannot|needs|is|allows|has)\b/.test(plain) ? `${label} ${plain}` : `${label}: ${plain}`;
}

/** Any error from a call, as one readable line per problem (raw "path: message" lines are mapped too). */
export function humanError(e: unknown, labels: Record<string, string> = FIELD_LABELS): string {
  if (e instanceof ApiCallError && e.issues?.length) return e.issues.map((i) => humanIssue(i.field, i.message, labels)).join('\n');
  const message = (e as Error)?.message ?? String(e);
  return message
    .split('\n')
    .map((line) => {
      const m = /^([A-Za-z][\w.]*): (.+)$/.exec(line.trim());
      return m && (labels[m[1]!] || m[1]!.includes('.')) ? humanIssue(m[1]!, m[2]!, labels) : plainMessage(line);
    })
    .join('\n');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
