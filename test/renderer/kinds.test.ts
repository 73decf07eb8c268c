// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import WizardView from '../../src/renderer/src/views/WizardView.vue';
import RunsView from '../../src/renderer/src/views/RunsView.vue';
import { estimateRun, plannedLayers } from '../../src/renderer/src/lib/estimate';
import { experimentKind } from '../../src/shared/kind';
import { parseSpec, type ExperimentSpecInput } from '../../src/shared/spec';
import { PRESETS } from '../../src/shared/presets';
import type { ExperimentDetail } from '../../src/shared/results';
import type { StabilityPointResult } from '../../src/shared/analyses/stability';
import { experimentDetail, experimentSummary, run } from '../contract/fixtures';
import { flush, installFakeLab } from './setup';

/** Each experiment kind in its own words: the wizard's Review and side panel, the estimate, and the Runs view. */

const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { class: 'chart-stub', 'aria-label': p.label }) });
let lab: ReturnType<typeof installFakeLab>;
beforeEach(() => {
  lab = installFakeLab();
});
async function mountView(c: unknown): Promise<VueWrapper> {
  const w = mount(c as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas } } });
  for (let i = 0; i < 5; i++) await flush();
  return w;
}
const settle = async () => {
  for (let i = 0; i < 5; i++) await flush();
};
const lenet = plannedLayers({ conv: [], dense: [300, 100] }, [28, 28, 1], 10);
const base = PRESETS[0]!.spec;
const small = (over: Partial<ExperimentSpecInput>): ExperimentSpecInput => ({ ...base, training: { ...base.training, iterations: 50 }, trials: 1, ...over });

describe('experimentKind', () => {
  it('reads the kind from the spec as a whole', () => {
    expect(experimentKind(parseSpec(small({})))).toBe('imp');
    expect(experimentKind(parseSpec(small({ earlyBird: { epsilon: 0.1, patience: 2, prune: true } })))).toBe('early-bird');
    expect(experimentKind(parseSpec(small({ pruning: { ...base.pruning, method: 'snip', densities: [0.5] } })))).toBe('at-init');
    expect(experimentKind(parseSpec(small({ stability: { rewindPoints: [0, 10] } })))).toBe('instability');
  });
});

describe('estimate per kind', () => {
  it("counts pruning at init's runs: trials × (dense + densities × (1 + ablations)), supermasks as evaluations", () => {
    const spec = parseSpec(small({ pruning: { ...base.pruning, method: 'snip', densities: [0.5, 0.2, 0.1] }, controls: [], ablations: ['shuffle', 'reinit'], supermasks: true, trials: 2 }));
    const e = estimateRun(spec, lenet, 'wasm');
    // 2 × (1 + 3 × (1 + 2)) = 20 training runs; 2 × 4 masks × 2 supermask evaluations = 16.
    expect(e.runs).toBe(20);
    expect(e.evaluations).toBe(16);
    expect(e.iterations).toBe(20 * 50);
    expect(e.breakdown).toBe('2 trials × (dense + 3 densities × (1 + 2 beside)) = 20 training runs + 16 supermask evaluations');
  });

  it("counts an instability analysis's copies: trials × starting points × 2, plus a run to each k > 0", () => {
    const spec = parseSpec(small({ stability: { rewindPoints: [0, 10, 20] }, trials: 2 }));
    const e = estimateRun(spec, lenet, 'wasm');
    expect(e.runs).toBe(2 * 3 * 2 + 2 * 2);
    expect(e.iterations).toBe(2 * (0 + 100 + (10 + 80) + (20 + 60)));
    expect(e.breakdown).toBe('2 trials × 3 starting points × 2 copies = 12 copies + 4 runs to k');
  });
});

async function toPruning(w: VueWrapper) {
  await w.find('button[data-step="pruning"]').trigger('click');
}
async function review(w: VueWrapper) {
  await w.find('button[data-step="review"]').trigger('click');
  await settle();
  return w.find('dl.kv').text();
}
/** The spec as the wizard will send it (the Review shows it verbatim). */
const sent = (w: VueWrapper) => JSON.parse(w.find('[data-testid="spec-json"] pre').text()) as ExperimentSpecInput;

describe('Wizard: each kind its own Review, fields and plan', () => {
  it('pruning at init reviews its method, densities, ablations and supermasks, and estimates its own runs', async () => {
    const w = await mountView(WizardView);
    await w.find('input[name="name"]').setValue('SNIP sweep');
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="iterations"]').setValue('50');
    await w.find('input[name="trials"]').exists();
    await toPruning(w);
    await w.find('select[name="method"]').setValue('snip');
    await w.find('input[name="densities"]').setValue('0.5, 0.2, 0.1');
    await w.find('input[name="ablation-shuffle"]').setValue(true);
    await w.find('input[name="ablation-reinit"]').setValue(true);
    await w.find('input[name="supermasks"]').setValue(true);
    await w.find('input[name="controlReinit"]').setValue(false);
    await w.find('input[name="controlRandom"]').setValue(false);
    await w.find('input[name="trials"]').setValue('1');
    // IMP's fields are gone, and the side panel plans densities, not 19 rounds.
    for (const f of ['rounds', 'oneShot', 'rewindIteration', 'retrain', 'earlyBird']) expect(w.find(`[name="${f}"]`).exists(), f).toBe(false);
    expect(w.find('[data-testid="plan-title"]').text()).toBe('Weights kept at each density');
    expect(w.findAll('[data-testid="plan"] .rnd').map((r) => r.find('span').text())).toEqual(['dense', '50%', '20%', '10%']);
    const text = await review(w);
    expect(w.find('[data-testid="review-name"]').text()).toBe('SNIP sweep');
    expect(w.find('[data-testid="review-kind"]').text()).toBe('Pruning at initialisation');
    expect(w.find('[data-testid="review-densities"]').text()).toContain('50.0%, 20.0%, 10.0% of the weights kept');
    expect(w.find('[data-testid="review-ablations"]').text()).toBe('layer-wise shuffle, reinitialise (ablation)');
    expect(w.find('[data-testid="review-supermasks"]').text()).toContain('every mask also scored untrained');
    // 1 × (1 + 3 × (1 + 2)) = 10 runs, not IMP's rounds.
    expect(w.find('[data-testid="estimate"]').text()).toContain('10 training runs');
    expect(w.find('[data-testid="estimate-breakdown"]').text()).toBe('dense + 3 densities × (1 + 2 beside) = 10 training runs + 8 supermask evaluations');
    expect(text).not.toMatch(/\bround|rewind|winning ticket/i);
    const spec = sent(w);
    expect(spec.pruning).not.toHaveProperty('rewindIteration');
    expect(spec.pruning).not.toHaveProperty('oneShot');
  });

  it('an instability analysis reviews its starting points, path and threshold, and sends no pruning controls', async () => {
    const w = await mountView(WizardView);
    await toPruning(w);
    await w.find('select[name="kind"]').setValue('stability');
    await w.find('input[name="rewindPoints"]').setValue('0, 100, 500');
    await w.find('input[name="interpolationPoints"]').setValue('10');
    await w.find('input[name="threshold"]').setValue('0.03');
    for (const f of ['rounds', 'oneShot', 'rewindIteration', 'controlReinit', 'controlRandom', 'tolerance', 'strategy', 'rateDense']) expect(w.find(`[name="${f}"]`).exists(), f).toBe(false);
    expect(w.findAll('[data-testid="plan"] .rnd').map((r) => r.find('span').text())).toEqual(['k = 0', 'k = 100', 'k = 500']);
    const text = await review(w);
    expect(w.find('[data-testid="review-kind"]').text()).toBe('Instability analysis');
    expect(w.find('[data-testid="review-starts"]').text()).toBe("k = 0, 100, 500: the dense network's weights after k iterations");
    expect(w.find('[data-testid="review-path"]').text()).toContain('11 networks on the line between the copies');
    expect(w.find('[data-testid="review-threshold"]').text()).toContain('below 3%');
    // 5 trials × 3 points × 2 copies + 5 × 2 runs to k > 0.
    expect(w.find('[data-testid="estimate"]').text()).toContain('40 training runs');
    expect(text).not.toMatch(/\bround|rewind|winning ticket|controls/i);
    const spec = sent(w);
    expect(spec.controls).toEqual([]);
    expect(spec.ablations).toEqual([]);
    expect(spec.pruning.rounds).toBe(1);
    expect(spec).not.toHaveProperty('tolerance');
  });

  it('early bird appears in the Review, and a patience no round can meet is said beside the field and in the Review', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="iterations"]').setValue('50');
    await w.find('input[name="evalInterval"]').setValue('10');
    await toPruning(w);
    await w.find('select[name="earlyBird"]').setValue('prune');
    await w.find('input[name="ebPatience"]').setValue('3');
    expect(w.find('[data-testid="patience-warning"]').exists()).toBe(false);
    await w.find('input[name="ebPatience"]').setValue('5');
    // 50 iterations evaluated every 10: 5 evaluations, 4 distances between them.
    expect(w.find('[data-testid="patience-warning"]').text()).toContain('a patience of 5 needs 6 evaluations in a round, but a round makes 5 evaluations');
    await review(w);
    expect(w.find('[data-testid="review-kind"]').text()).toBe('Iterative magnitude pruning with early-bird tickets');
    const eb = w.find('[data-testid="review-early-bird"]');
    expect(eb.text()).toContain('each round but the last stops and prunes once the mask distance has stayed under ε = 0.1 for 5 evaluations in a row');
    expect(eb.find('[role="alert"]').text()).toContain('can never be found settled');
  });
});

const copyCurve = (acc: number) => [10, 20, 30].map((iteration) => ({ iteration, trainLoss: 0.5, valLoss: 0.4, valAccuracy: acc, testAccuracy: acc }));
function point(p: number, weights: number, barrier: number): StabilityPointResult {
  return { trial: 0, point: p, label: `round ${p} (${(weights * 100).toFixed(1)}%)`, startIteration: 0, weightsRemaining: weights, alphas: [0, 0.5, 1], testError: [0.1, 0.1 + barrier, 0.1], barrier, endpoints: [0.9, 0.9], durationMs: 2000, curves: [copyCurve(0.9), copyCurve(0.89)] };
}

/** An instability analysis of the fixture's IMP experiment 'e1', finished. */
function instabilityOfE1(): ExperimentDetail {
  const spec = parseSpec({ ...experimentDetail.spec, controls: [], pruning: { ...experimentDetail.spec.pruning, rounds: 1 }, stability: { rewindPoints: [0], interpolationPoints: 2, threshold: 0.02, sourceExperimentId: 'e1' } });
  const points = [point(0, 1, 0.001), point(1, 0.8, 0.005), point(2, 0.64, 0.04)];
  return {
    ...experimentSummary,
    id: 's1',
    name: 'Instability of LeNet quick',
    kind: 'instability',
    roundsDone: 3,
    roundsPlanned: 3,
    winningTicket: null,
    spec,
    specHash: 'beef',
    versions: experimentDetail.versions,
    layers: experimentDetail.layers,
    runs: [],
    winningTicketReason: 'an instability analysis names no winning ticket',
    stability: {
      threshold: 0.02,
      points,
      summary: points.map((x) => ({ point: x.point, label: x.label, startIteration: 0, weightsRemaining: x.weightsRemaining, trials: 1, barrier: { mean: x.barrier, min: x.barrier, max: x.barrier }, stable: x.barrier < 0.02 })),
      suggestedRewindPoint: 0,
    },
  };
}

describe('Runs: an instability analysis in its own panels', () => {
  it("shows its verdict by weights, the copies' curves, a link to its source, and lets Compare open it", async () => {
    const s1 = instabilityOfE1();
    lab.services.experiments.list = () => [s1, { ...experimentSummary, kind: 'imp' }];
    lab.services.experiments.get = (id: string) => (id === 's1' ? s1 : experimentDetail);
    const w = await mountView(RunsView);
    expect(w.find('tr[data-experiment="s1"] [data-testid="steps-done"]').text()).toBe('3/3 points');
    // IMP's panels, empty for good, are not there.
    expect(w.text()).not.toContain('no run to show yet');
    expect(w.find('table.rounds').exists()).toBe(false);
    expect(w.find('[data-testid="winning-ticket"]').exists()).toBe(false);
    // All rounds start at k = 0: the verdict speaks of weights, not "stable from iteration 0 on".
    expect(w.find('[data-testid="stability-verdict"]').text()).toBe('Stable down to round 1 (80.0%); round 2 (64.0%) is not.');
    expect(w.find('[aria-label="Training curves of the two copies from round 0 (100.0%)"]').exists()).toBe(true);
    await w.find('select[name="copiesPoint"]').setValue('2');
    expect(w.find('[aria-label="Training curves of the two copies from round 2 (64.0%)"]').exists()).toBe(true);
    expect(w.find('button[data-action="compare"]').attributes('disabled')).toBeUndefined();
    await w.find('[data-action="open-source"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="experiment-title"]').text()).toContain('LeNet quick');
  });
});

describe('Runs: early bird and default selections', () => {
  it('a completed early bird without a ticket says why, not "none yet"', async () => {
    const reason = 'early-bird IMP stops the dense round early, so there is no full dense run to compare with';
    const spec = parseSpec({ ...experimentDetail.spec, earlyBird: { epsilon: 0.1, patience: 2, prune: true } });
    const d: ExperimentDetail = { ...experimentDetail, kind: 'early-bird', spec, winningTicket: null, winningTicketReason: reason };
    lab.services.experiments.list = () => [{ ...experimentSummary, kind: 'early-bird', winningTicket: null }];
    lab.services.experiments.get = () => d;
    const w = await mountView(RunsView);
    expect(w.find('[data-testid="winning-none"]').text()).toBe('none');
    expect(w.find('[data-testid="winning-reason"]').text()).toBe(reason);
    expect(w.find('[data-testid="steps-done"]').text()).toBe('3/3 rounds');
  });

  it('opens the run chart on the winning ticket, not on the control stored last, and the mask on a pruned round', async () => {
    // The fixture stores round 2's reinit control last; its winning ticket is round 2.
    expect(experimentDetail.runs.at(-1)).toMatchObject({ variant: 'reinit', round: 2 });
    const w = await mountView(RunsView);
    expect(w.find('[data-testid="run-chart-title"]').text()).toBe('round 2 · winning ticket · trial 0 · finished');
    expect((w.find('select[name="maskRound"]').element as HTMLSelectElement).value).toBe('2');
  });

  it('pruning at init names densities and shows its ablation and supermask columns', async () => {
    const spec = parseSpec({ ...experimentDetail.spec, controls: [], ablations: ['shuffle'], supermasks: true, pruning: { ...experimentDetail.spec.pruning, method: 'snip', densities: [0.8, 0.64] } });
    const runs = [run('ticket', 0, 0.95), run('ticket', 1, 0.951), run('shuffle', 1, 0.94), run('supermask', 1, 0.2), run('supermask-signed', 1, 0.3), run('ticket', 2, 0.948), run('shuffle', 2, 0.93), run('supermask', 2, 0.15), run('supermask-signed', 2, 0.25)];
    const d: ExperimentDetail = { ...experimentDetail, kind: 'at-init', spec, runs };
    lab.services.experiments.list = () => [{ ...experimentSummary, kind: 'at-init', roundsPlanned: 3 }];
    lab.services.experiments.get = () => d;
    const w = await mountView(RunsView);
    expect(w.find('[data-testid="steps-done"]').text()).toBe('3/3 densities');
    expect(w.findAll('table.rounds thead th').map((t) => t.text())).toEqual(['Density', 'Weights left', 'Early stop', 'Val acc', 'Test acc', 'Shuffle test', 'Supermask', 'Signed SM', 'Time', '']);
    expect(w.find('tr[data-round="1"]').text()).toContain('80.0%');
    expect(w.find('[data-testid="winning-ticket"] .label').text()).toBe('Sparsest matching density');
    expect(w.find('[data-testid="winning-ticket"]').text()).toContain('density 64.0%');
    // The chart opens on the sparsest matching density's own mask, in the kind's words.
    expect(w.find('[data-testid="run-chart-title"]').text()).toBe('density 64.0% · SNIP mask · trial 0 · finished');
    expect(w.text()).not.toMatch(/winning ticket|round \d/i);
  });
});
