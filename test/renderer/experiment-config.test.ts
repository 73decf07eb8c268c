// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import RunsView from '../../src/renderer/src/views/RunsView.vue';
import TicketsView from '../../src/renderer/src/views/TicketsView.vue';
import WizardView from '../../src/renderer/src/views/WizardView.vue';
import { useUiStore } from '../../src/renderer/src/stores/ui';
import { experimentDetail } from '../contract/fixtures';
import { parseSpec } from '../../src/shared/spec';
import { flush, installFakeLab } from './setup';

const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { class: 'chart-stub', 'aria-label': p.label }) });
let lab: ReturnType<typeof installFakeLab>;

async function mountView(c: unknown): Promise<VueWrapper> {
  const w = mount(c as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas } } });
  for (let i = 0; i < 6; i++) await flush();
  return w;
}

/** The fixture experiment as learning-rate rewinding to iteration 50, SGD. */
const lrRewind = parseSpec({
  ...experimentDetail.spec,
  name: 'LeNet lr-rewind',
  pruning: { ...experimentDetail.spec.pruning, retrain: 'lr-rewind', rewindIteration: 50 },
  training: { ...experimentDetail.spec.training, optimizer: 'sgd', learningRate: 0.05, momentum: 0.9 },
});

beforeEach(() => {
  lab = installFakeLab();
  lab.services.experiments.get = () => ({ ...experimentDetail, spec: lrRewind });
});

describe('Runs: the configuration of an experiment', () => {
  it('shows the hyperparameters in words: learning-rate rewinding is told from weight rewinding outside Compare', async () => {
    const w = await mountView(RunsView);
    const panel = w.find('[data-testid="experiment-config"]');
    expect(panel.exists()).toBe(true);
    expect(panel.find('[data-testid="config-pruning"]').text()).toContain('learning-rate rewinding');
    expect(panel.find('[data-testid="config-pruning"]').text()).toContain('rewind to 50 (late rewinding)');
    expect(panel.text()).toContain('SGD 0.05, momentum 0.9');
    expect(panel.text()).toContain('LeNet-300-100');
    expect(panel.text()).toContain('"retrain": "lr-rewind"');
  });

  it('clone and edit opens the wizard filled in with that spec', async () => {
    const w = await mountView(RunsView);
    await w.find('button[data-action="clone-edit"]').trigger('click');
    const ui = useUiStore();
    expect(ui.view).toBe('wizard');
    w.unmount();
    const wiz = await mountView(WizardView);
    expect((wiz.find('input[name="name"]').element as HTMLInputElement).value).toBe('LeNet lr-rewind (copy)');
    await wiz.find('button[data-step="training"]').trigger('click');
    expect((wiz.find('input[name="learningRate"]').element as HTMLInputElement).value).toBe('0.05');
    expect((wiz.find('input[name="iterations"]').element as HTMLInputElement).value).toBe('300');
    await wiz.find('button[data-step="review"]').trigger('click');
    for (let i = 0; i < 3; i++) await flush();
    // Started unchanged, the clone is the same experiment under another name.
    await wiz.find('button[data-action="start"]').trigger('click');
    for (let i = 0; i < 5; i++) await flush();
    const sent = lab.services.calls.find((c) => c.method === 'experiments.create')!.args[0] as typeof lrRewind;
    const { name: _a, ...clone } = parseSpec(sent);
    const { name: _b, ...original } = lrRewind;
    expect(clone).toEqual(original);
  });

  it('starts an instability analysis of the experiment, and of a ticket, through the API', async () => {
    const w = await mountView(RunsView);
    await w.find('button[data-action="analyze-stability"]').trigger('click');
    for (let i = 0; i < 3; i++) await flush();
    expect(lab.services.calls).toContainEqual({ method: 'experiments.analyzeStability', args: [{ experimentId: 'e1' }] });
    expect(w.find('[data-testid="experiment-config"]').text()).toContain('Queued “Instability of experiment e1”');
    w.unmount();

    const t = await mountView(TicketsView);
    await t.find('tr[data-ticket="t2"]').trigger('click');
    await t.find('button[data-action="analyze-stability"]').trigger('click');
    for (let i = 0; i < 3; i++) await flush();
    expect(lab.services.calls).toContainEqual({ method: 'experiments.analyzeStability', args: [{ ticketId: 't2' }] });
    expect(useUiStore().view).toBe('runs');
  });
});
