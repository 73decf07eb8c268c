import type { EndToEndResult } from './e2e';
import type { ImpRoundResult, TicketTimes } from './imp-round';
import type { MachineInfo } from './machine';
import type { MemoryResult } from './memory';
import type { ParallelResult } from './parallel';
import type { ServeDelayResult } from './serve-delay';
import type { BackendSection } from './training';
import type { PackedResult } from './packed';

export interface Target {
  id: string;
  goal: string;
  value: string;
  /** null: not measured in this run. */
  met: boolean | null;
  margin: string;
}

export interface BenchReport {
  quick: boolean;
  machine: MachineInfo;
  /** The backend of the whole-app measurements (IMP round, parallel runs, serving, memory, end to end). */
  backend: string;
  torch: { available: boolean; version: string | null; reason: string };
  training: BackendSection[];
  unavailableBackends: { backend: string; reason: string }[];
  impRound: ImpRoundResult;
  /** The same IMP round on WebGPU (any adapter, software ones included), when it loads. */
  impRoundWebgpu?: (ImpRoundResult & { detail: string }) | null;
  tickets: TicketTimes;
  serve: ServeDelayResult;
  parallel: ParallelResult;
  memory: MemoryResult[];
  endToEnd: EndToEndResult;
  /** Packed training (issue 11): the primary backend (with the small experiment) and WebGPU when it loads. */
  packed?: PackedResult[];
  loadAverageAtEnd: number[];
  durationSeconds: number;
  targets: Target[];
}
