// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import WizardView from '../../src/renderer/src/views/WizardView.vue';
import CompareView from '../../src/renderer/src/views/CompareView.vue';
import { useUiStore } from '../../src/renderer/src/stores/ui';
import { useExperimentsStore } from '../../src/renderer/src/stores/experiments';
import { findPreset, PRESETS } from '../../src/shared/presets';
import { parseSpec, type ExperimentSpecInput } from '../../src/shared/spec';
import { sweepName, sweepSpecs } from '../../src/shared/sweep';
import { formFromPreset, specFromForm, validate } from '../../src/renderer/src/lib/wizard-form';
import { emptySweep, sweepOffers, sweepPlan } from '../../src/renderer/src/lib/sweep-form';
import { humanIssue } from '../../src/renderer/src/lib/messages';
import { estimateRun, plannedLayers } from '../../src/renderer/src/lib/estimate';
import { duration } from '../../src/renderer/src/lib/format';
import { experimentDetail, experimentSummary, mnistInfo } from '../contract/fixtures';
import { flush, installFakeLab } from './setup';

/** The wizard's comparisons: rewind points and warmup vs none as one experiment each, named as the CLI names them. */
const resnet = findPreset('resnet20-cifar10')!;
const lenet = PRESETS[0]!;
const cifar = { ...mnistInfo, id: 'cifar10', name: 'CIFAR-10', shape: [32, 32, 3] as [number, number, number], trainCount: 50_000, hash: 'c'.repeat(64) };
const specOf = (p = resnet) => specFromForm(formFromPreset(p), p).spec;

describe('the specs a comparison builds', () => {
  it('one per rewind point, named "<name> · rewind k", the form\'s own point included once, otherwise the same spec', () => {
    const base = specOf();
    const { experiments, errors } = sweepPlan(base, { rewindText: '0, 500, 2000', withoutWarmup: false });
    expect(errors).toEqual({});
    expect(experiments.map((e) => e.name)).toEqual(['ResNet-20 on CIFAR-10 · rewind 0', 'ResNet-20 on CIFAR-10 · rewind 500', 'ResNet-20 on CIFAR-10 · rewind 2000']);
    expect(experiments.map((e) => e.spec.pruning.rewindIteration)).toEqual([0, 500, 2000]);
    for (const e of experiments) {
      expect(validate(e.spec)).toEqual({});
      // Same seed, controls, network and schedule: only the name and the rewind point differ.
      expect({ ...e.spec, name: base.name, pruning: { ...e.spec.pruning, rewindIteration: 0 } }).toEqual(base);
    }
    // "also 500, 2000" beside a form rewinding to 0 is the same comparison, sorted.
    expect(sweepPlan(base, { rewindText: '2000 500', withoutWarmup: false }).experiments.map((e) => e.rewind)).toEqual([0, 500, 2000]);
  });

  it('warmup vs none: two per rewind point, rewind outer, warmup inner, as the CLI orders and names them', () => {
    const { experiments, lists } = sweepPlan(specOf(), { rewindText: '500', withoutWarmup: true });
    expect(lists).toEqual({ rewind: [0, 500], warmup: [0, 20_000] });
    expect(experiments.map((e) => [e.name, e.rewind, e.warmup])).toEqual([
      ['ResNet-20 on CIFAR-10 · rewind 0 · warmup 0', 0, 0],
      ['ResNet-20 on CIFAR-10 · rewind 0 · warmup 20000', 0, 20_000],
      ['ResNet-20 on CIFAR-10 · rewind 500 · warmup 0', 500, 0],
      ['ResNet-20 on CIFAR-10 · rewind 500 · warmup 20000', 500, 20_000],
    ]);
    expect(experiments.map((e) => e.spec.training.schedule?.warmupIterations)).toEqual([0, 20_000, 0, 20_000]);
    const only = sweepPlan(specOf(), { rewindText: '', withoutWarmup: true }).experiments;
    expect(only.map((e) => e.name)).toEqual(['ResNet-20 on CIFAR-10 · warmup 0', 'ResNet-20 on CIFAR-10 · warmup 20000']);
  });

  it('no comparison asked: the form\'s one spec, unchanged and unrenamed', () => {
    const base = specOf();
    for (const f of [emptySweep(), { rewindText: '0', withoutWarmup: false }, { rewindText: ' ', withoutWarmup: false }]) {
      const { experiments, errors } = sweepPlan(base, f);
      expect(errors).toEqual({});
      expect(experiments).toHaveLength(1);
      expect(experiments[0]!.spec).toEqual(base);
    }
  });

  it('a rewind point the schema refuses, a word or a repeat is an error of the field, naming the value', () => {
    const base = specOf();
    const label = (text: string) => {
      const e = sweepPlan(base, { rewindText: text, withoutWarmup: false }).errors['sweep.rewind'];
      return e ? humanIssue('sweep.rewind', e) : undefined;
    };
    expect(label('500, 30000')).toBe('Compare rewind points: 30000 must be below “Iterations per round” (30000)');
    expect(label('500, 2k')).toBe('Compare rewind points: "2k" is not a whole number of iterations');
    expect(label('500, 500')).toBe('Compare rewind points: 500 is listed twice');
    // The form's own invalid rewind point is its own field's error, not repeated here.
    const bad = { ...base, pruning: { ...base.pruning, rewindIteration: 40_000 } };
    expect(sweepPlan(bad, { rewindText: '500', withoutWarmup: false }).errors).toEqual({});
  });

  it('offers rewind points to IMP only and "without warmup" only when there is warmup', () => {
    expect(sweepOffers(specOf())).toEqual({ rewind: true, warmup: true });
    expect(sweepOffers(specOf(lenet))).toEqual({ rewind: true, warmup: false });
    const atInit: ExperimentSpecInput = { ...specOf(), pruning: { ...specOf().pruning, method: 'snip', densities: [0.5] } };
    expect(sweepOffers(atInit).rewind).toBe(false);
    const stability: ExperimentSpecInput = { ...specOf(), stability: { rewindPoints: [0, 500] } };
    expect(sweepOffers(stability)).toEqual({ rewind: false, warmup: false });
    // Not offered = not swept, whatever the hidden field still holds.
    expect(sweepPlan(atInit, { rewindText: '500', withoutWarmup: false }).experiments).toHaveLength(1);
  });

  it('the shared helper names and checks as `lth run --rewind/--warmup` does', () => {
    const parsed = parseSpec({ ...lenet.spec, name: undefined });
    expect(sweepName(undefined, { rewind: 500 })).toBe('IMP · rewind 500');
    const { entries, problems } = sweepSpecs(parsed, { rewind: [0, 500], warmup: [100] });
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.spec.name, e.rewind, e.warmup])).toEqual([['IMP · rewind 0', 0, 100], ['IMP · rewind 500', 500, 100]]);
    expect(entries.every((e) => e.parsed !== null)).toBe(true);
    const twice = sweepSpecs(parsed, { warmup: [0, 0] }).problems;
    expect(twice[0]).toMatchObject({ axis: 'warmup', value: 0, message: '0 is listed twice' });
    const tooLate = sweepSpecs(parsed, { rewind: [0, 60_000] }).problems;
    expect(tooLate).toEqual([{ axis: 'rewind', path: 'pruning.rewindIteration', value: 60_000, message: 'must be below training.iterations (50000)' }]);
  });
});

/** Charts draw on canvas, which happy-dom lacks. */
const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { class: 'chart-stub', 'aria-label': p.label }) });

describe('the wizard window with a comparison', () => {
  let lab: ReturnType<typeof installFakeLab>;
  beforeEach(() => {
    lab = installFakeLab();
    lab.services.datasets.list = () => [mnistInfo, cifar];
    lab.services.datasets.get = (id) => (id === 'cifar10' ? cifar : mnistInfo);
    let n = 0;
    lab.services.experiments.create = (spec) => {
      lab.services.calls.push({ method: 'experiments.create', args: [spec] });
      return { ...experimentSummary, id: `e_new${++n}`, name: spec.name ?? 'IMP', status: 'queued', roundsDone: 0, datasetId: spec.dataset };
    };
  });
  async function mountView(c: unknown): Promise<VueWrapper> {
    const w = mount(c as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas } } });
    for (let i = 0; i < 5; i++) await flush();
    return w;
  }
  const created = () => lab.services.calls.filter((c) => c.method === 'experiments.create').map((c) => c.args[0] as ExperimentSpecInput);

  it('ResNet-20: the paper\'s points and warmup vs none give six experiments, listed in Review, started together into Compare', async () => {
    const w = await mountView(WizardView);
    await w.find('select[name="dataset"]').setValue('cifar10');
    await w.find('button[data-step="network"]').trigger('click');
    await w.find('select[name="preset"]').setValue('resnet20-cifar10');
    await w.find('button[data-step="pruning"]').trigger('click');
    expect(w.find('input[name="sweepRewind"]').element.closest('label')!.textContent).toContain('Frankle et al. 2019');
    expect(w.find('input[name="sweepWithoutWarmup"]').element.closest('label')!.textContent).toContain('Frankle & Carbin 2019, Figs. 7–8');
    expect(w.find('input[name="sweepWithoutWarmup"]').element.closest('label')!.textContent).toContain('beside 20,000');
    await w.find('button[data-action="sweep-paper"]').trigger('click');
    expect((w.find('input[name="sweepRewind"]').element as HTMLInputElement).value).toBe('0, 500, 2000');
    expect(w.find('button[data-action="sweep-paper"]').exists()).toBe(false);
    await w.find('input[name="sweepWithoutWarmup"]').setValue(true);
    expect(w.text()).toContain('6 experiments, listed in Review');

    await w.find('button[data-step="review"]').trigger('click');
    const names = w.findAll('[data-testid="planned-experiment"]').map((x) => x.text());
    expect(names).toEqual([0, 500, 2000].flatMap((k) => [0, 20000].map((wu) => `ResNet-20 on CIFAR-10 · rewind ${k} · warmup ${wu}`)));
    expect(w.find('[data-testid="review-pruning"]').text()).toContain('rewind to 0 / 500 / 2,000 (one experiment each)');
    expect(w.find('[data-testid="review-training"]').text()).toContain('warmup 0 / 20,000 (one experiment each)');
    expect(w.find('[data-testid="estimate"]').text()).toContain('for 6 experiments');
    expect(w.find('[data-testid="spec-json"] summary').text()).toContain('ResNet-20 on CIFAR-10 · rewind 0 · warmup 0');
    // Slurm takes one experiment per submission, as `lth run --on slurm` does.
    await w.find('input[name="runOnSlurm"]').setValue(true);
    expect(w.find('[data-testid="slurm-blocked"]').text()).toContain('one experiment per submission');
    expect(w.find('button[data-action="slurm-submit"]').attributes('disabled')).toBeDefined();

    const startButton = w.find('button[data-action="start"]');
    expect(startButton.text()).toBe('Start 6 experiments');
    await startButton.trigger('click');
    for (let i = 0; i < 10; i++) await flush();
    const specs = created();
    expect(specs.map((s) => s.name)).toEqual(names);
    expect(specs.map((s) => [s.pruning.rewindIteration, s.training.schedule?.warmupIterations])).toEqual([[0, 0], [0, 20000], [500, 0], [500, 20000], [2000, 0], [2000, 20000]]);
    expect(new Set(specs.map((s) => JSON.stringify([s.seed, s.trials, s.controls, s.network])))).toHaveProperty('size', 1);
    const ui = useUiStore();
    expect(ui.view).toBe('compare');
    expect(ui.compareExperiments).toEqual(['e_new1', 'e_new2', 'e_new3', 'e_new4', 'e_new5', 'e_new6']);
    expect(ui.compareTickets).toEqual([]);
    expect(useExperimentsStore().selectedId).toBe('e_new1');
  });

  it('multiplies the time estimate by the experiments created', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="iterations"]').setValue('200');
    await w.find('input[name="warmupIterations"]').setValue('50');
    await w.find('button[data-step="pruning"]').trigger('click');
    await w.find('input[name="rounds"]').setValue('3');
    // LeNet is not deep: no paper button, but the comparison is there.
    expect(w.find('button[data-action="sweep-paper"]').exists()).toBe(false);
    await w.find('input[name="sweepRewind"]').setValue('20, 100');
    await w.find('input[name="sweepWithoutWarmup"]').setValue(true);
    await w.find('button[data-step="review"]').trigger('click');
    const f = formFromPreset(lenet);
    f.training.iterations = 200;
    f.pruning.rounds = 3;
    // A rewound round trains T − k iterations: each rewind point costs its own, once with warmup and once without.
    const at = (k: number) => {
      f.pruning.rewindIteration = k;
      return estimateRun(parseSpec(specFromForm(f, lenet).spec), plannedLayers(parseSpec(lenet.spec).network, [28, 28, 1], 10), 'wasm').seconds;
    };
    const all = 2 * (at(0) + at(20) + at(100));
    expect(w.find('[data-testid="estimate"] b').text()).toBe(duration(all));
    expect(w.find('[data-testid="side-estimate"]').text()).toContain(`≈ ${duration(all)} on wasm for 6 experiments`);
  });

  it('a rewind point past the iterations is an inline error naming the field; Start stays off until it is fixed', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="pruning"]').trigger('click');
    const field = w.find('input[name="sweepRewind"]');
    await field.setValue('500, 50000');
    expect(field.attributes('aria-invalid')).toBe('true');
    expect(field.element.closest('label')!.textContent).toContain('Compare rewind points: 50000 must be below “Iterations per round” (50000)');
    expect(w.find('button[data-step="pruning"] .errcount').text()).toBe('1');
    expect(w.text()).toContain('fix the list below to see the experiments');
    await w.find('button[data-step="review"]').trigger('click');
    expect(w.find('[role="alert"] li[data-field="sweep.rewind"]').text()).toContain('Compare rewind points: 50000 must be below');
    expect(w.find('button[data-action="start"]').attributes('disabled')).toBeDefined();
    await w.find('li[data-field="sweep.rewind"] a').trigger('click');
    await w.find('input[name="sweepRewind"]').setValue('500, 2000');
    await w.find('button[data-step="review"]').trigger('click');
    expect(w.findAll('[data-testid="planned-experiment"]')).toHaveLength(3);
    await w.find('button[data-action="start"]').trigger('click');
    for (let i = 0; i < 10; i++) await flush();
    expect(created().map((s) => s.name)).toEqual(['LeNet-300-100 on MNIST · rewind 0', 'LeNet-300-100 on MNIST · rewind 500', 'LeNet-300-100 on MNIST · rewind 2000']);
  });

  it('one experiment still starts alone into Runs; a failure half-way says which were created', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="review"]').trigger('click');
    expect(w.find('[data-testid="review-experiments"]').exists()).toBe(false);
    expect(w.find('button[data-action="start"]').text()).toBe('Start experiment');
    await w.find('button[data-action="start"]').trigger('click');
    for (let i = 0; i < 5; i++) await flush();
    expect(created()).toHaveLength(1);
    expect(useUiStore().view).toBe('runs');

    const w2 = await mountView(WizardView);
    const create = lab.services.experiments.create;
    lab.services.experiments.create = (spec) => {
      if (spec.pruning.rewindIteration === 500) throw new Error('disk full');
      return create(spec);
    };
    await w2.find('button[data-step="pruning"]').trigger('click');
    await w2.find('input[name="sweepRewind"]').setValue('500, 2000');
    await w2.find('button[data-step="review"]').trigger('click');
    await w2.find('button[data-action="start"]').trigger('click');
    for (let i = 0; i < 10; i++) await flush();
    expect(w2.text()).toContain('Created LeNet-300-100 on MNIST · rewind 0; LeNet-300-100 on MNIST · rewind 500 failed: disk full');
  });

  it('Compare lists the just-started experiments it was opened with and says the figures are coming', async () => {
    lab.services.experiments.list = () => [{ ...experimentSummary, id: 'e_new1', name: 'A · rewind 0', roundsDone: 0, status: 'queued' }];
    lab.services.experiments.get = () => ({ ...experimentDetail, id: 'e_new1', name: 'A · rewind 0', roundsDone: 0, runs: [], winningTicket: null });
    useUiStore(lab.pinia).compareExperiments = ['e_new1'];
    const w = await mountView(CompareView);
    const box = w.find('input[data-compare-experiment="e_new1"]');
    expect((box.element as HTMLInputElement).checked).toBe(true);
    expect(box.element.closest('label')!.textContent).toContain('queued');
    expect(w.find('[data-testid="compare-waiting"]').text()).toContain('the figures fill in');
  });
});
