import type { LabEvent } from '../../shared/events';
import type { Preset } from '../../shared/presets';
import type { ExperimentSpecInput } from '../../shared/spec';
import type { SlurmSubmitRequest, SlurmSyncSummary } from '../../shared/slurm';
import type { DatasetInfo, ExperimentDetail, ExperimentSummary, TicketRecord, BackendName, GpuAdapterInfo } from '../../shared/results';
import type { ExportFormat, FigureKind } from '../../shared/figures/options';

/**
 * The services every front door (CLI, Electron main, browser-mode server) calls. Implemented once over the
 * engine and the store; the shared API contract (src/shared/api) maps one call to one method here.
 */
export interface DatasetSamples {
  datasetId: string;
  split: 'train' | 'test';
  shape: [number, number, number];
  /** Per class: up to `perClass` images, each height*width*channels uint8 values in HWC order. */
  classes: { classIndex: number; className: string; images: number[][] }[];
}

export interface SystemInfo {
  version: string;
  tfjsVersion: string;
  backend: BackendName;
  backendDetail: string;
  /** A warning to show beside the backend: a GPU backend that is installed but failed, and what is used instead. */
  backendNote: string | null;
  /** The WebGPU adapter when the backend is 'webgpu'. */
  adapter: GpuAdapterInfo | null;
  dataDir: string;
  databasePath: string;
  cpus: number;
}

export interface TicketUpdate {
  name?: string;
  notes?: string;
  tags?: string[];
}

export interface RetrainRequest {
  ticketId: string;
  /** Another dataset of the same input shape for a transfer; the ticket's own dataset when absent. */
  datasetId?: string;
  controls?: ('reinit' | 'random')[];
  iterations?: number;
  trials?: number;
  /** For a transfer: also train the dense network on the target dataset first, unless one exists (default true). */
  baseline?: boolean;
}

/** An instability analysis of what an experiment or a ticket found: exactly one of the two. */
export interface StabilityRequest {
  experimentId?: string;
  ticketId?: string;
  /** N: the path is evaluated at α = 0, 1/N, …, 1 (default 30). */
  interpolationPoints?: number;
  /** Stable below this mean error barrier (default 0.02). */
  threshold?: number;
  name?: string;
}

export interface MaskOverlap {
  ticketA: string;
  ticketB: string;
  /** Jaccard index of the kept weights, per prunable layer, in layer order. */
  layers: { name: string; jaccard: number }[];
}

/** A paper figure written from stored results: DIR/<figure>.<format> for each format (see `lth export`). */
export interface ExportFiguresRequest {
  /** Experiments drawn in one figure (and tabulated in tex/md); none only for the mask figure. */
  experimentIds: string[];
  figure: FigureKind;
  formats: ExportFormat[];
  /** Physical width in inches: 3.5 single column, 7 double. */
  widthInches: number;
  /** Absolute path of the output folder on the machine running the lab; created when missing. */
  folder: string;
  rounds?: number[];
  /** The ticket whose mask the mask figure shows. */
  ticketId?: string;
}

export interface ExportedFiles {
  /** Absolute paths written, in the order of the formats asked for. */
  files: string[];
  /** Those of `files` that already existed and were overwritten (an earlier export to the same folder). */
  replaced?: string[];
}

/** Weight magnitudes of a ticket's surviving weights, per prunable layer, with the next round's cut. */
export interface WeightHistogram {
  ticketId: string;
  /** Trained weights when the ticket kept them, else the rewind (initial) weights. */
  source: 'trained' | 'rewind';
  bins: number;
  layers: {
    name: string;
    kind: 'conv' | 'dense' | 'output';
    kept: number;
    total: number;
    /** Bins span 0..max evenly. */
    max: number;
    counts: number[];
    rate: number;
    /** Magnitude below which the next pruning round removes weights (null when the layer is not pruned). */
    threshold: number | null;
  }[];
}

/** Exported files as one zip archive (browser mode downloads it). */
export interface ZippedFiles {
  fileName: string;
  /** The zip archive, base64-encoded (it crosses the WebSocket as JSON). */
  base64: string;
  bytes: number;
}

export interface LabServices {
  system(): SystemInfo;
  presets(): readonly Preset[];
  datasets: {
    list(): DatasetInfo[];
    get(id: string): DatasetInfo;
    import(kind: 'idx' | 'cifar10', folder: string, name?: string): Promise<DatasetInfo>;
    samples(id: string, perClass: number, split: 'train' | 'test'): Promise<DatasetSamples>;
  };
  experiments: {
    list(): ExperimentSummary[];
    get(id: string): ExperimentDetail;
    /** Validates, stores and queues; returns at once. */
    create(spec: ExperimentSpecInput): ExperimentSummary;
    delete(id: string): void;
    cancel(id: string): void;
    pause(id: string): void;
    resume(id: string): void;
    /** Per input pixel, the first-layer connections a stored round keeps (any round, not only saved tickets). */
    maskHeatmap(id: string, trial: number, round: number): { height: number; width: number; counts: number[] };
    /** Name, notes and tags of an experiment (its spec and results are unchanged). */
    update(id: string, update: { name?: string; notes?: string; tags?: string[] }): ExperimentSummary;
    /** Renames an experiment (its spec and results are unchanged). */
    rename(id: string, name: string): ExperimentSummary;
    /** Queues an instability analysis of an IMP experiment's rounds or of a ticket (`lth analyze stability --from`). */
    analyzeStability(request: StabilityRequest): ExperimentSummary;
  };
  tickets: {
    list(): TicketRecord[];
    get(id: string): TicketRecord;
    save(experimentId: string, trial: number, round: number, name?: string): TicketRecord;
    update(id: string, update: TicketUpdate): TicketRecord;
    delete(id: string): void;
    export(id: string, folder: string): Promise<string>;
    import(folder: string): Promise<TicketRecord>;
    retrain(request: RetrainRequest): ExperimentSummary;
    maskOverlap(ticketA: string, ticketB: string): MaskOverlap;
    /** IoU and Hamming distance between every pair of stored masks (tickets or experiment rounds). */
    overlapMatrix(refs: readonly string[]): import('../../shared/analyses/overlap').OverlapMatrix;
    /** For 28x28-style inputs: per input pixel, the number of first-layer connections the ticket keeps. */
    pixelHeatmap(id: string): { height: number; width: number; counts: number[] };
    /** Per layer: magnitudes of the surviving weights and where the next pruning round cuts. */
    weightHistogram(id: string): WeightHistogram;
  };
  /** Experiments whose trials run as a Slurm job array (this machine being a login node); see src/main/slurm. */
  slurm: {
    /** Stores the experiment, writes its folder and job script on the shared filesystem, submits the array. */
    submit(request: SlurmSubmitRequest): ExperimentSummary;
    /** Merges finished runs from the task files (idempotent) and updates the status from Slurm. */
    sync(id: string): SlurmSyncSummary;
  };
  exports: {
    figures(request: ExportFiguresRequest): Promise<ExportedFiles>;
    /** Files this process exported (only those), zipped for a browser download. */
    zip(files: string[]): Promise<ZippedFiles>;
  };
  /** Every LabEvent of every experiment; returns the unsubscribe function. */
  subscribe(listener: (event: LabEvent) => void): () => void;
}
