/**
 * The API's channel names, with no runtime dependencies: the sandboxed preload imports this list
 * to refuse unknown channels without bundling zod. The schemas live in ./contract.
 */
export const SERVICE_CHANNELS = [
  'system',
  'presets',
  'datasets.list',
  'datasets.get',
  'datasets.import',
  'datasets.samples',
  'experiments.list',
  'experiments.get',
  'experiments.create',
  'experiments.delete',
  'experiments.cancel',
  'experiments.pause',
  'experiments.resume',
  'experiments.rename',
  'experiments.update',
  'experiments.maskHeatmap',
  'experiments.analyzeStability',
  'tickets.list',
  'tickets.get',
  'tickets.save',
  'tickets.update',
  'tickets.delete',
  'tickets.export',
  'tickets.import',
  'tickets.retrain',
  'tickets.maskOverlap',
  'tickets.overlapMatrix',
  'tickets.pixelHeatmap',
  'tickets.weightHistogram',
  'exports.figures',
  'exports.zip',
  'slurm.submit',
  'slurm.sync',
] as const;

/** Calls only the desktop host can answer (native dialogs); the browser-mode server refuses them. */
export const HOST_CHANNELS = ['host.pickFolder'] as const;

export const CHANNELS = [...SERVICE_CHANNELS, ...HOST_CHANNELS] as const;

export type ServiceChannel = (typeof SERVICE_CHANNELS)[number];
export type HostChannel = (typeof HOST_CHANNELS)[number];
export type Channel = (typeof CHANNELS)[number];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && (CHANNELS as readonly string[]).includes(name);
}

/** IPC channel names used by Electron (invoke + one event stream). */
export const IPC_INVOKE = 'lth:invoke';
export const IPC_EVENT = 'lth:event';
