import type { Component } from 'vue';
import type { ExperimentSpec, ExperimentSpecInput, Variant } from '../../../shared/spec';
import type { ExperimentDetail } from '../../../shared/results';
import type { SweepLists } from '../../../shared/sweep';
import type { PlannedLayer } from '../lib/estimate';

/** One line of the wizard's Review summary. */
export interface ReviewRow {
  label: string;
  value: string;
  /** A second, quieter line under the value. */
  note?: string;
  /** Said louder: the spec will run, but probably not as meant. */
  warn?: string;
  testid?: string;
}

/** What an experiment trains: training runs (each of `iterations` on average) and untrained evaluations. */
export interface Work {
  runs: number;
  /** Training iterations over all runs. */
  iterations: number;
  /** Untrained evaluations (supermasks): one pass over the validation and test sets each. */
  evaluations: number;
  /** How the count comes about, in the kind's words: "3 densities × (1 + 2 ablations) + dense = 10 runs". */
  breakdown: string;
}

/** The side panel's plan: one bar per step of the experiment. */
export interface PlanBar {
  label: string;
  /** Fraction of weights the step trains with. */
  remaining: number;
  title: string;
}

/** The wizard's field groups that only some kinds use. */
export type WizardGroup = 'strategy' | 'rates' | 'rounds' | 'oneShot' | 'rewind' | 'retrain' | 'earlyBird' | 'method' | 'controls' | 'sweep' | 'tolerance';

/** Everything the window shows differently per experiment kind; src/renderer/src/kinds/registry.ts holds one per kind. */
export interface KindViews {
  /** "Iterative magnitude pruning": what the Review step and the detail panels call the experiment. */
  title: string;
  /** The word for one step and for several: round(s), density/densities, starting point(s); `run`: what one training run is; `counted`: the short plural a list counts them in. */
  step: { one: string; many: string; run: string; counted: string };
  /** The wizard fields this kind uses; the others are hidden and left out of the spec sent. */
  fields: ReadonlySet<WizardGroup>;
  /** The Review step's rows after dataset, network and training. */
  review(spec: ExperimentSpecInput, lists: SweepLists): ReviewRow[];
  work(spec: ExperimentSpec): Work;
  /** The side panel: its heading and one bar per step. */
  planTitle: string;
  plan(spec: ExperimentSpecInput, layers: PlannedLayer[]): PlanBar[];
  /** One stored step (a run's `round`) in the kind's words: "round 2", "density 20%", "k = 500". */
  stepLabel(round: number, detail: Pick<ExperimentDetail, 'spec'> & Partial<Pick<ExperimentDetail, 'stability'>>): string;
  /** A variant in the kind's words (pruning at init's own masks are not winning tickets). */
  variantLabel(variant: Variant, spec: ExperimentSpec): string;
  /** Whether a saved mask has a next step that prunes it further (IMP's next round); pruning at init prunes once. */
  prunesFurther: boolean;
  /** The variant the run chart opens on. */
  mainVariant: Variant;
  /** The experiment's own panel in Runs, in place of IMP's rounds (absent: IMP's rounds table). */
  detail?: Component;
}
