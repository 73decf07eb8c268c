// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import WizardView from '../../src/renderer/src/views/WizardView.vue';
import TicketsView from '../../src/renderer/src/views/TicketsView.vue';
import RunsView from '../../src/renderer/src/views/RunsView.vue';
import { humanError, humanIssue, plainMessage } from '../../src/renderer/src/lib/messages';
import { ApiCallError } from '../../src/renderer/src/api/client';
import { flush, installFakeLab } from './setup';

const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { 'aria-label': p.label }) });
let lab: ReturnType<typeof installFakeLab>;
beforeEach(() => {
  lab = installFakeLab();
});
async function mountView(c: unknown): Promise<VueWrapper> {
  const w = mount(c as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas } } });
  for (let i = 0; i < 5; i++) await flush();
  return w;
}
const RAW = /Too small|Too big|Invalid input|expected number|expected string|update\./;

describe('messages in the user\'s words', () => {
  it('turns schema wording into what to do, naming the field as the form labels it', () => {
    expect(humanIssue('training.iterations', 'Too small: expected number to be >=1')).toBe('Iterations per round must be at least 1');
    expect(humanIssue('training.batchSize', 'Invalid input: expected number, received string')).toBe('Batch size: enter a number');
    expect(humanIssue('training.learningRate', 'Too small: expected number to be >0')).toBe('Learning rate must be greater than 0');
    expect(humanIssue('trials', 'Too big: expected number to be <=100')).toBe('Trials must be at most 100');
    expect(humanIssue('seed', 'Invalid input: expected int, received number')).toBe('Seed must be a whole number');
    expect(humanIssue('update.name', 'Too small: expected string to have >=1 characters')).toBe('Name cannot be empty');
    expect(humanIssue('update.tags.2', 'Too big: expected string to have <=64 characters')).toBe('Tags is too long: at most 64 characters');
    expect(humanIssue('pruning.rewindIteration', 'must be below training.iterations (600)')).toBe('Rewind to iteration must be below “Iterations per round” (600)');
    expect(plainMessage('t10k-images-idx3-ubyte: missing')).toBe('t10k-images-idx3-ubyte: missing');
  });

  it('maps every issue of a refused call, and raw "path: message" lines', () => {
    const e = new ApiCallError({ code: 'invalid', message: 'update.name: Too small: expected string to have >=1 characters', field: 'update.name', issues: [{ field: 'update.name', message: 'Too small: expected string to have >=1 characters' }] });
    expect(humanError(e)).toBe('Name cannot be empty');
    expect(humanError(new Error('training.iterations: Too small: expected number to be >=1'))).toBe('Iterations per round must be at least 1');
  });

  it('the wizard shows the field\'s own words beside it and in Review, never schema text', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="batchSize"]').setValue('');
    expect(w.text()).toContain('Batch size: enter a number');
    await w.find('input[name="batchSize"]').setValue('60');
    await w.find('input[name="iterations"]').setValue('0');
    await w.find('button[data-step="review"]').trigger('click');
    const review = w.find('[role="alert"]').text();
    expect(review).toContain('Iterations per round must be at least 1');
    expect(review).not.toMatch(RAW);
    expect(review).not.toContain('training.iterations');
  });

  it('an invalid dense rate: the preview shows the error, not impossible numbers, and only the dense field is marked', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="network"]').trigger('click');
    await w.find('input[name="conv"]').setValue('8, pool');
    await w.find('button[data-step="pruning"]').trigger('click');
    expect(w.find('[data-testid="plan"]').exists()).toBe(true);
    await w.find('input[name="rateDense"]').setValue('1.5');
    const preview = w.find('[data-testid="preview-error"]');
    expect(preview.text()).toContain('Rate: dense must be in [0, 1)');
    expect(w.find('[data-testid="plan"]').exists()).toBe(false);
    const aside = w.find('aside').text();
    expect(aside).not.toContain('150%');
    expect(aside).not.toMatch(/-\d/);
    // The error sits beside the dense rate only; the valid conv rate stays clean.
    expect(w.find('input[name="rateDense"]').attributes('aria-invalid')).toBe('true');
    const convField = w.find('input[name="rateConv"]').element.closest('label')!;
    expect(convField.textContent).not.toContain('must be');
    await w.find('button[data-step="review"]').trigger('click');
    expect(w.findAll('[role="alert"] li').map((li) => li.attributes('data-field'))).toEqual(['pruning.rates.dense']);
  });

  it('hides the conv rate for a network without conv layers (LeNet)', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="pruning"]').trigger('click');
    expect(w.find('input[name="rateConv"]').exists()).toBe(false);
    expect(w.find('input[name="rateDense"]').exists()).toBe(true);
  });

  it('asks before a preset change replaces edited fields, and can keep them', async () => {
    const w = await mountView(WizardView);
    await w.find('button[data-step="training"]').trigger('click');
    await w.find('input[name="iterations"]').setValue('321');
    await w.find('button[data-step="network"]').trigger('click');
    const select = w.find('select[name="preset"]');
    const other = (select.element as HTMLSelectElement).options[1]!.value;
    await select.setValue(other);
    expect(w.find('[aria-label="Replace your edits?"]').text()).toContain('Iterations per round');
    await w.find('button[data-action="preset-keep"]').trigger('click');
    await w.find('button[data-step="training"]').trigger('click');
    expect((w.find('input[name="iterations"]').element as HTMLInputElement).value).toBe('321');
    await w.find('button[data-step="network"]').trigger('click');
    expect((w.find('select[name="preset"]').element as HTMLSelectElement).value).toBe(other);
  });

  it('the ticket panel says an empty name in words, beside the field', async () => {
    const w = await mountView(TicketsView);
    await w.find('tr[data-ticket="t1"]').trigger('click');
    await flush();
    await w.find('input[name="ticketName"]').setValue('   ');
    await w.find('form.grid').trigger('submit');
    await flush();
    expect(w.find('[data-testid="ticket-name-error"]').text()).toBe('Name cannot be empty: give the ticket a name');
    expect(lab.services.calls.map((c) => c.method)).not.toContain('tickets.update');
  });

  it('renames an experiment in place, refusing an empty name in words', async () => {
    const w = await mountView(RunsView);
    await w.find('button[data-action="rename"]').trigger('click');
    await w.find('input[name="experimentName"]').setValue('  ');
    await w.find('form').trigger('submit');
    await flush();
    expect(w.find('[role="alert"]').text()).toBe('Name cannot be empty');
    await w.find('input[name="experimentName"]').setValue('LeNet, late rewinding');
    await w.find('form').trigger('submit');
    for (let i = 0; i < 3; i++) await flush();
    expect(lab.services.calls).toContainEqual({ method: 'experiments.rename', args: ['e1', 'LeNet, late rewinding'] });
    expect(w.find('[data-testid="experiment-title"]').text()).toContain('LeNet, late rewinding');
  });
});
