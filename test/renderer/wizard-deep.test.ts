// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import WizardView from '../../src/renderer/src/views/WizardView.vue';
import { findPreset, PRESETS } from '../../src/shared/presets';
import { parseSpec } from '../../src/shared/spec';
import { planNetwork, totalWeights } from '../../src/shared/network';
import { formFromPreset, specFromForm, validate } from '../../src/renderer/src/lib/wizard-form';
import { estimateRun, plannedLayers } from '../../src/renderer/src/lib/estimate';
import { mnistInfo } from '../contract/fixtures';
import { flush, installFakeLab } from './setup';

/** The wizard's deep-network options: ResNet/VGG presets, a custom residual network, augmentation, late rewinding. */
const resnet = findPreset('resnet20-cifar10')!;
const vgg = findPreset('vgg19-cifar10')!;
const lenet = PRESETS[0]!;
const cifar = { ...mnistInfo, id: 'cifar10', name: 'CIFAR-10', shape: [32, 32, 3] as [number, number, number], trainCount: 50_000, hash: 'c'.repeat(64) };

describe('the deep-network spec the form builds', () => {
  it('ResNet-20 and VGG-19 presets come back as their own spec, with their weight counts', () => {
    for (const [p, weights] of [[resnet, 270_896], [vgg, 20_024_000]] as const) {
      const { spec, localErrors } = specFromForm(formFromPreset(p), p);
      expect(localErrors).toEqual({});
      expect(validate(spec)).toEqual({});
      expect(spec.network).toEqual({ ...p.spec.network });
      expect(spec.training).toMatchObject({ optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, augment: true, weightDecay: 1e-4, schedule: p.spec.training.schedule });
      expect(totalWeights(planNetwork(parseSpec(spec).network, [32, 32, 3], 10).layers)).toBe(weights);
      expect(plannedLayers(parseSpec(spec).network, [32, 32, 3], 10).reduce((a, l) => a + l.weights, 0)).toBe(weights);
    }
  });

  it('a custom residual network: conv sent empty, only the options that are on, no preset name', () => {
    const f = formFromPreset(lenet);
    f.network = { ...f.network, architecture: 'residual', widthsText: '16, 32, 64', blocks: 2, batchNorm: true, init: 'kaiming', pooling: 'average' };
    f.denseText = '';
    const { spec, localErrors } = specFromForm(f, lenet);
    expect(localErrors).toEqual({});
    expect(validate(spec)).toEqual({});
    // A residual network always averages: pooling is not a field of it.
    expect(spec.network).toEqual({ conv: [], dense: [], dropout: 0, residual: { widths: [16, 32, 64], blocks: 2 }, batchNorm: true, init: 'kaiming' });
    expect(planNetwork(parseSpec(spec).network, [32, 32, 3], 10).layers).toHaveLength(6 * 2 + 2 + 2);
  });

  it('leaves every deep option absent when off, so old specs hash as before', () => {
    const { spec } = specFromForm(formFromPreset(lenet), lenet);
    expect(Object.keys(spec.network).sort()).toEqual(['conv', 'dense', 'dropout', 'preset']);
    expect(spec.training).not.toHaveProperty('augment');
    const conv = formFromPreset(findPreset('conv2-cifar10')!);
    conv.network.batchNorm = false;
    conv.network.pooling = 'flatten';
    conv.training.augment = false;
    const s = specFromForm(conv, findPreset('conv2-cifar10')).spec;
    for (const k of ['residual', 'batchNorm', 'pooling', 'init']) expect(s.network).not.toHaveProperty(k);
    expect(s.training).not.toHaveProperty('augment');
    expect(s.network.preset).toBe('conv2');
  });

  it('batch norm and average pooling on a plain conv net reach the spec and drop the preset name', () => {
    const p = findPreset('conv2-cifar10')!;
    const f = formFromPreset(p);
    f.network = { ...f.network, batchNorm: true, pooling: 'average' };
    const { spec } = specFromForm(f, p);
    expect(spec.network).toMatchObject({ batchNorm: true, pooling: 'average' });
    expect(spec.network.preset).toBeUndefined();
  });

  it('a bad width list names the field, as typed text or as the schema\'s range', () => {
    const f = formFromPreset(resnet);
    f.network.widthsText = '16, x, 64';
    expect(specFromForm(f, resnet).localErrors['network.residual.widths']).toMatch(/"x" is not a width/);
    f.network.widthsText = '16, 0';
    expect(Object.keys(validate(specFromForm(f, resnet).spec))).toContain('network.residual.widths.1');
  });

  it('estimates a deep network from its planned multiply-accumulates, not from its (empty) conv list', () => {
    const spec = parseSpec(resnet.spec);
    const layers = plannedLayers(spec.network, [32, 32, 3], 10);
    const macs = layers.reduce((a, l) => a + l.macs, 0);
    expect(macs).toBeGreaterThan(40e6);
    expect(macs).toBeLessThan(42e6);
    const e = estimateRun(spec, layers, 'tensorflow-gpu');
    expect(e.runs).toBe(19 * 5 + 18 * 2 * 5);
    // 30K iterations at batch 128 through ~41M MACs: hours per run at 150 GFLOP/s, not seconds.
    expect(e.secondsPerRun / 3600).toBeGreaterThan(1);
    expect(e.secondsPerRun / 3600).toBeLessThan(10);
  });
});

describe('the wizard window with deep networks', () => {
  let lab: ReturnType<typeof installFakeLab>;
  beforeEach(() => {
    lab = installFakeLab();
    lab.services.datasets.list = () => [mnistInfo, cifar];
    lab.services.datasets.get = (id) => (id === 'cifar10' ? cifar : mnistInfo);
  });
  async function mountWizard(): Promise<VueWrapper> {
    const w = mount(WizardView as never, { global: { plugins: [lab.pinia] } });
    for (let i = 0; i < 5; i++) await flush();
    return w;
  }
  const total = (w: VueWrapper) => w.find('table[aria-label="Parameters per layer"] tr.total').text();
  async function choosePreset(w: VueWrapper, id: string) {
    await w.find('button[data-step="network"]').trigger('click');
    await w.find('select[name="preset"]').setValue(id);
  }

  it('the ResNet-20 and VGG-19 presets fill the network and show their weights', async () => {
    const w = await mountWizard();
    await w.find('select[name="dataset"]').setValue('cifar10');
    await choosePreset(w, 'resnet20-cifar10');
    expect((w.find('select[name="architecture"]').element as HTMLSelectElement).value).toBe('residual');
    expect((w.find('input[name="residualWidths"]').element as HTMLInputElement).value).toBe('16, 32, 64');
    expect((w.find('input[name="batchNorm"]').element as HTMLInputElement).checked).toBe(true);
    expect(w.find('input[name="conv"]').exists()).toBe(false);
    expect(w.find('select[name="pooling"]').exists()).toBe(false);
    expect(total(w)).toContain('270,896');
    expect(w.find('[data-testid="preset-mismatch"]').exists()).toBe(false);
    await choosePreset(w, 'vgg19-cifar10');
    expect((w.find('select[name="architecture"]').element as HTMLSelectElement).value).toBe('plain');
    expect((w.find('select[name="pooling"]').element as HTMLSelectElement).value).toBe('average');
    expect(w.text()).toContain('Global average pooling');
    expect(total(w)).toContain('20,024,000');
  });

  it('a residual network with edited widths and blocks is named for itself, not for the preset it came from', async () => {
    const w = await mountWizard();
    await w.find('select[name="dataset"]').setValue('cifar10');
    await choosePreset(w, 'resnet20-cifar10');
    expect(w.find('[data-testid="custom-network"]').exists()).toBe(false);
    await w.find('input[name="residualWidths"]').setValue('8');
    await w.find('input[name="residualBlocks"]').setValue('1');
    const note = w.find('[data-testid="custom-network"]').text();
    expect(note).toContain('ResNet-8 8');
    expect(note).not.toContain('271K');
    expect(w.text()).not.toContain('(271K weights)');
    expect(w.find('select[name="preset"] option[value="resnet20-cifar10"]').text()).toContain('edited: ResNet-8 8');
    await w.find('button[data-step="review"]').trigger('click');
    await w.find('button[data-action="start"]').trigger('click');
    for (let i = 0; i < 5; i++) await flush();
    const sent = lab.services.calls.find((c) => c.method === 'experiments.create')!.args[0] as { name: string; network: { preset?: string } };
    expect(sent.network.preset).toBeUndefined();
    expect(sent.name).toBe('ResNet-8 8 · BN (from ResNet-20 on CIFAR-10)');
  });

  it("shortening a preset's iterations shortens its untouched warmup and milestones; γ's init sits beside batch norm", async () => {
    const w = await mountWizard();
    await w.find('select[name="dataset"]').setValue('cifar10');
    await choosePreset(w, 'resnet20-cifar10');
    const bnInit = w.find('select[name="bnInit"]');
    expect((bnInit.element as HTMLSelectElement).value).toBe('ones');
    await bnInit.setValue('uniform');
    expect(bnInit.element.closest('label')!.textContent).toContain("open_lth's ResNets");
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="iterations"]').setValue('4');
    expect((w.find('input[name="warmupIterations"]').element as HTMLInputElement).value).toBe('3');
    expect((w.find('input[name="milestones"]').element as HTMLInputElement).value).toBe('3');
    expect(w.find('button[data-step="training"] .errcount').exists()).toBe(false);
    await w.find('button[data-step="review"]').trigger('click');
    const json = JSON.parse(w.find('[data-testid="spec-json"] pre').text());
    expect(json.training).toMatchObject({ iterations: 4, schedule: { warmupIterations: 3, milestones: [3] } });
    expect(json.network.bnInit).toBe('uniform');
    expect(w.find('[data-testid="review-network"]').text()).toContain('batch norm (γ uniform [0, 1))');
  });

  it('pruning a deep preset at init offers the output rate (the preset leaves the output layer dense; above 0 the method may prune it)', async () => {
    const w = await mountWizard();
    await w.find('select[name="dataset"]').setValue('cifar10');
    await choosePreset(w, 'resnet20-cifar10');
    await w.find('button[data-step="pruning"]').trigger('click');
    // IMP with the preset's global strategy: one global rate, no per-kind rates.
    expect(w.find('input[name="rateOutput"]').exists()).toBe(false);
    await w.find('select[name="method"]').setValue('synflow');
    await w.find('input[name="densities"]').setValue('0.5');
    const output = w.find('input[name="rateOutput"]');
    expect((output.element as HTMLInputElement).value).toBe('0');
    expect(output.element.closest('label')!.textContent).toContain("SynFlow's paper prunes every layer");
    await output.setValue('0.2');
    await w.find('button[data-step="review"]').trigger('click');
    const json = JSON.parse(w.find('[data-testid="spec-json"] pre').text());
    expect(json.pruning).toMatchObject({ method: 'synflow', densities: [0.5], rates: { output: 0.2 } });
  });

  it('a custom residual network: widths and blocks plan their layers, a bad width list is an inline error', async () => {
    const w = await mountWizard();
    await w.find('select[name="dataset"]').setValue('cifar10');
    await w.find('button[data-step="network"]').trigger('click');
    await w.find('select[name="architecture"]').setValue('residual');
    await w.find('input[name="dense"]').setValue('');
    await w.find('input[name="residualBlocks"]').setValue('1');
    expect(w.text()).toContain('8 layers (6·blocks + 2)');
    expect(w.find('table[aria-label="Parameters per layer"]').text()).toContain('s3b1.shortcut');
    await w.find('input[name="residualWidths"]').setValue('16, x, 64');
    const field = w.find('input[name="residualWidths"]');
    expect(field.attributes('aria-invalid')).toBe('true');
    expect(field.element.closest('label')!.textContent).toContain('Stage widths: "x" is not a width');
    expect(w.find('button[data-step="network"] .errcount').text()).toBe('1');
    await field.setValue('16, 0, 64');
    expect(field.element.closest('label')!.textContent).toContain('Stage widths must be at least 1');
    // Stages 2 to 6 halve 32×32 down to 1×1 and the seventh cannot: the engine would refuse it, so the field says so.
    await field.setValue('8, 8, 8, 8, 8, 8, 8');
    expect(field.element.closest('label')!.textContent).toContain('Stage widths: the 32×32 input allows at most 6 stages (each after the first halves the feature map), not 7');
    expect(w.find('select[name="architecture"]').element.closest('label')!.textContent).not.toContain('Stage widths');
    expect(w.find('[data-testid="layers-hidden"]').exists()).toBe(true);
    await field.setValue('16, 32');
    expect(field.attributes('aria-invalid')).toBe('false');
    await w.find('input[name="batchNorm"]').setValue(true);
    await w.find('select[name="init"]').setValue('kaiming');
    expect(w.text()).toContain('open_lth');
    await w.find('button[data-step="review"]').trigger('click');
    expect(w.find('[data-testid="review-network"]').text()).toContain('ResNet-8 16-32 · BN');
    expect(w.find('[data-testid="review-network"]').text()).toContain('batch norm · global average pooling · Kaiming init');
    const json = JSON.parse(w.find('[data-testid="spec-json"] pre').text());
    expect(json.network).toEqual({ conv: [], dense: [], dropout: 0, residual: { widths: [16, 32], blocks: 1 }, batchNorm: true, init: 'kaiming' });
  });

  it('offers augmentation for colour images only, explains the schedule and late rewinding for deep networks', async () => {
    const w = await mountWizard();
    await w.find('button[data-step="training"]').trigger('click');
    // LeNet on MNIST: crop + flip is not offered.
    expect(w.find('input[name="augment"]').exists()).toBe(false);
    await w.find('button[data-step="pruning"]').trigger('click');
    expect(w.find('[data-testid="rewind-note"]').exists()).toBe(false);

    await w.find('button[data-step="dataset"]').trigger('click');
    await w.find('select[name="dataset"]').setValue('cifar10');
    await choosePreset(w, 'resnet20-cifar10');
    await w.find('button[data-step="training"]').trigger('click');
    const augment = w.find('input[name="augment"]');
    expect((augment.element as HTMLInputElement).checked).toBe(true);
    expect(augment.element.closest('label')!.textContent).toContain('4-pixel zero-padded copy');
    expect((w.find('input[name="warmupIterations"]').element as HTMLInputElement).value).toBe('20000');
    expect((w.find('input[name="milestones"]').element as HTMLInputElement).value).toBe('20000, 25000');
    expect((w.find('input[name="weightDecay"]').element as HTMLInputElement).value).toBe('0.0001');
    expect(w.find('input[name="warmupIterations"]').element.closest('label')!.textContent).toContain('late rewinding');

    // With warmup the note explains; without warmup or late rewinding it warns.
    await w.find('button[data-step="pruning"]').trigger('click');
    expect(w.find('[data-testid="rewind-note"]').classes()).toContain('hint');
    expect(w.find('[data-testid="rewind-note"]').text()).toMatch(/k = 500 or 2000/);
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="warmupIterations"]').setValue('0');
    await w.find('button[data-step="pruning"]').trigger('click');
    expect(w.find('[data-testid="rewind-note"]').classes()).toContain('warn');
    await w.find('input[name="rewindIteration"]').setValue('2000');
    expect(w.find('[data-testid="rewind-note"]').classes()).toContain('hint');

    await w.find('button[data-step="review"]').trigger('click');
    expect(w.find('[data-testid="review-network"]').text()).toContain('ResNet-20 · 271K prunable weights');
    expect(w.find('[data-testid="review-training"]').text()).toContain('SGD 0.1, momentum 0.9 · batch 128 · 30,000 iterations/round');
    expect(w.find('[data-testid="review-training"]').text()).toContain('×0.1 at 20,000, 25,000 · weight decay 0.0001 · random crop + flip');
    expect(w.find('[data-testid="review-pruning"]').text()).toContain('rewind to 2,000 (late rewinding)');
    expect(w.find('[data-testid="estimate"]').text()).toMatch(/\d+(d| years)/);
    expect(w.find('[data-testid="estimate-long"]').exists()).toBe(true);
    expect(JSON.parse(w.find('[data-testid="spec-json"] pre').text()).training.augment).toBe(true);

    // Switching back to MNIST keeps the toggle visible while on, with a word on why it is CIFAR's.
    await w.find('button[data-step="dataset"]').trigger('click');
    await w.find('select[name="dataset"]').setValue('mnist');
    await w.find('button[data-step="training"]').trigger('click');
    expect(w.find('[data-testid="augment-note"]').text()).toContain('1-channel');
    await w.find('input[name="augment"]').setValue(false);
    expect(w.find('input[name="augment"]').exists()).toBe(false);
  });

  it('an instability analysis offers batch-norm statistics for a batch-norm network only, with the reason', async () => {
    const w = await mountWizard();
    await w.find('button[data-step="pruning"]').trigger('click');
    await w.find('select[name="kind"]').setValue('stability');
    // LeNet: no batch norm, no choice.
    expect(w.find('select[name="bnStats"]').exists()).toBe(false);
    const r = await mountWizard();
    await r.find('select[name="dataset"]').setValue('cifar10');
    await choosePreset(r, 'resnet20-cifar10');
    await r.find('button[data-step="pruning"]').trigger('click');
    await r.find('select[name="kind"]').setValue('stability');
    const select = r.find('select[name="bnStats"]');
    expect((select.element as HTMLSelectElement).value).toBe('interpolate');
    await select.setValue('reestimate');
    expect(select.element.closest('label')!.textContent).toContain('4,096 training examples');
    await r.find('button[data-step="review"]').trigger('click');
    expect(JSON.parse(r.find('[data-testid="spec-json"] pre').text()).stability.batchNormStats).toBe('reestimate');
  });

  it('names the deep-network fields when a preset change would replace them', async () => {
    const w = await mountWizard();
    await w.find('select[name="dataset"]').setValue('cifar10');
    await choosePreset(w, 'resnet20-cifar10');
    await w.find('input[name="residualWidths"]').setValue('32, 64, 128');
    await w.find('select[name="preset"]').setValue('vgg19-cifar10');
    expect(w.find('[aria-label="Replace your edits?"]').text()).toContain('Stage widths');
  });
});
