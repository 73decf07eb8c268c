// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import DatasetsView from '../../src/renderer/src/views/DatasetsView.vue';
import WizardView from '../../src/renderer/src/views/WizardView.vue';
import RunsView from '../../src/renderer/src/views/RunsView.vue';
import TicketsView from '../../src/renderer/src/views/TicketsView.vue';
import CompareView from '../../src/renderer/src/views/CompareView.vue';
import App from '../../src/renderer/src/App.vue';
import { useUiStore } from '../../src/renderer/src/stores/ui';
import { useTicketsStore } from '../../src/renderer/src/stores/tickets';
import { flush, installFakeLab } from './setup';

/** Charts draw on canvas, which happy-dom lacks: the stub keeps each chart's accessible label. */
const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { class: 'chart-stub', 'aria-label': p.label }) });
const stubs = { ChartCanvas };
let lab: ReturnType<typeof installFakeLab>;

async function mountView(c: unknown): Promise<VueWrapper> {
  const w = mount(c as never, { global: { plugins: [lab.pinia], stubs } });
  for (let i = 0; i < 5; i++) await flush();
  return w;
}

beforeEach(() => {
  lab = installFakeLab();
});

describe('Datasets view', () => {
  it('lists datasets with hash and class counts, and shows an import error beside the folder field', async () => {
    lab.services.datasets.import = async () => {
      throw Object.assign(new Error('t10k-images-idx3-ubyte: missing'), { name: 'DatasetError' });
    };
    const w = await mountView(DatasetsView);
    expect(w.find('tr[data-dataset="mnist"]').text()).toContain('MNIST');
    expect(w.find('[data-testid="dataset-hash"]').text()).toMatch(/^[0-9a-f]{64}$/);
    expect(w.findAll('table[aria-label="Class counts"] tbody tr')).toHaveLength(10);
    await w.find('input[name="folder"]').setValue('/data/broken');
    await w.find('form').trigger('submit');
    for (let i = 0; i < 5; i++) await flush();
    expect(w.find('[data-testid="folder-error"]').text()).toBe('t10k-images-idx3-ubyte: missing');
    expect(w.find('input[name="folder"]').attributes('aria-invalid')).toBe('true');
  });
});

describe('Wizard', () => {
  it('validates every field with the shared schema and starts the experiment', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="iterations"]').setValue('0');
    expect(w.text()).toContain('Iterations per round must be at least 1');
    expect(w.text()).not.toContain('Too small');
    expect(w.find('button[data-step="training"] .errcount').text()).toBe('1');
    await w.find('input[name="iterations"]').setValue('200');
    await w.find('button[data-step="pruning"]').trigger('click');
    await w.find('input[name="rounds"]').setValue('3');
    await w.find('button[data-step="review"]').trigger('click');
    expect(w.find('[data-testid="estimate"]').text()).toMatch(/\d+s/);
    expect(w.find('table[aria-label="Parameters per layer"]').text()).toContain('235,200');
    await w.find('button[data-action="start"]').trigger('click');
    for (let i = 0; i < 5; i++) await flush();
    const call = lab.services.calls.find((c) => c.method === 'experiments.create');
    expect(call?.args[0]).toMatchObject({ dataset: 'mnist', training: { iterations: 200, batchSize: 60 }, pruning: { rounds: 3 }, controls: ['reinit', 'random'] });
    expect(useUiStore().view).toBe('runs');
  });

  it("refuses a validation hold-out the dataset's training set cannot give, beside the field, and starts nothing", async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="validationSize"]').setValue('70000');
    expect(w.text()).toContain("70,000 is not below the 60,000 training examples of dataset 'MNIST'");
    expect(w.find('input[name="validationSize"]').attributes('aria-invalid')).toBe('true');
    expect(w.find('button[data-step="training"] .errcount').text()).toBe('1');
    await w.find('button[data-step="review"]').trigger('click');
    await w.find('button[data-action="start"]').trigger('click');
    for (let i = 0; i < 5; i++) await flush();
    expect(lab.services.calls.find((c) => c.method === 'experiments.create')).toBeUndefined();
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="validationSize"]').setValue('59999');
    expect(w.text()).not.toContain('training examples of dataset');
  });
});

describe('Runs view', () => {
  it('shows the winning ticket up front, the rounds and saves a ticket', async () => {
    lab.services.tickets.list = () => [];
    const w = await mountView(RunsView);
    // Round 0 is the dense network: nothing to save as a ticket.
    expect(w.find('button[data-action="save-ticket-0"]').exists()).toBe(false);
    expect(w.find('tr[data-round="0"]').text()).toContain('dense network');
    expect(w.find('[data-testid="winning-ticket"]').text()).toContain('63.7%');
    expect(w.findAll('tr[data-round]')).toHaveLength(3);
    expect(w.find('[aria-label*="per variant"]').exists()).toBe(true);
    await w.find('button[data-action="save-ticket-1"]').trigger('click');
    for (let i = 0; i < 3; i++) await flush();
    expect(lab.services.calls).toContainEqual({ method: 'tickets.save', args: ['e1', 0, 1, undefined] });
    expect(w.text()).toContain('to the ticket library');
  });

  it('offers pause and cancel while running', async () => {
    const list = lab.services.experiments.list;
    lab.services.experiments.list = () => list().map((e) => ({ ...e, status: 'running' }));
    const w = await mountView(RunsView);
    await w.find('button[data-action="pause"]').trigger('click');
    await flush();
    expect(lab.services.calls.map((c) => c.method)).toContain('experiments.pause');
    expect(w.find('button[data-action="cancel"]').exists()).toBe(true);
  });
});

describe('Ticket library', () => {
  it('filters, edits and deletes only after confirmation', async () => {
    const w = await mountView(TicketsView);
    expect(w.findAll('tr[data-ticket]')).toHaveLength(2);
    await w.find('input[name="search"]').setValue('round 2');
    expect(w.findAll('tr[data-ticket]')).toHaveLength(1);
    await w.find('input[name="search"]').setValue('');
    await w.find('tr[data-ticket="t1"]').trigger('click');
    await w.findAll('button').find((b) => b.text() === 'Delete ticket…')!.trigger('click');
    expect(lab.services.calls.map((c) => c.method)).not.toContain('tickets.delete');
    await w.find('button[data-action="confirm-delete"]').trigger('click');
    await flush();
    expect(lab.services.calls).toContainEqual({ method: 'tickets.delete', args: ['t1'] });
  });
});

describe('Compare view', () => {
  it('draws the paper plots, mask overlap, heat maps and the hyperparameter diff for two tickets', async () => {
    const ui = (await import('../../src/renderer/src/stores/ui')).useUiStore(lab.pinia);
    ui.compareTickets = ['t1', 't2'];
    const w = await mountView(CompareView);
    expect(useTicketsStore().list).toHaveLength(2);
    expect(w.find('[aria-label*="log axis"]').exists()).toBe(true);
    expect(w.find('[aria-label="Early-stopping iteration against weights remaining"]').exists()).toBe(true);
    expect(w.findAll('[data-testid="jaccard"]').map((x) => x.text())).toEqual(['0.800', '0.750', '0.900']);
    expect(w.findAll('canvas[aria-label*="connections"]')).toHaveLength(2);
    expect(w.find('[data-testid="winning-ticket"]').text()).toContain('Winning ticket');
    expect(w.find('table[aria-label="Hyperparameter diff"]').exists()).toBe(true);
  });
});

describe('App shell', () => {
  it('switches views from the keyboard (Alt+1..5) and shows the backend', async () => {
    const w = await mountView(App);
    expect(w.find('[data-testid="backend"]').text()).toBe('wasm');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '5', altKey: true }));
    await flush();
    expect(useUiStore().view).toBe('compare');
    expect(w.find('nav button[aria-current="page"]').text()).toContain('Compare');
    w.unmount();
  });
});
