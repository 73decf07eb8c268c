// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import RunsView from '../../src/renderer/src/views/RunsView.vue';
import TicketsView from '../../src/renderer/src/views/TicketsView.vue';
import { useExperimentsStore } from '../../src/renderer/src/stores/experiments';
import { useTicketsStore } from '../../src/renderer/src/stores/tickets';
import { parseHash } from '../../src/renderer/src/lib/router';
import { ticket } from '../contract/fixtures';
import { flush, installFakeLab } from './setup';

const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { class: 'chart-stub', 'aria-label': p.label }) });
let lab: ReturnType<typeof installFakeLab>;

async function mountView(c: unknown): Promise<VueWrapper> {
  const w = mount(c as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas } } });
  for (let i = 0; i < 5; i++) await flush();
  return w;
}

beforeEach(() => {
  lab = installFakeLab();
});

describe('Ticket library search', () => {
  it('finds tickets by network (its paper name even when written out by hand), dataset and method', async () => {
    const handWritten = ticket('t3', 3, { name: 'my best', network: { conv: [], dense: [300, 100], dropout: 0 } as never, method: 'snip', retrain: 'rewind' });
    const named = ticket('t4', 1, { name: 'other', network: { preset: 'conv2', conv: [64, 64, 'pool'], dense: [256, 256], dropout: 0 } as never, datasetId: 'cifar10', method: 'magnitude', retrain: 'lr-rewind' });
    lab.services.tickets.list = () => [handWritten, named];
    const w = await mountView(TicketsView);
    const rows = async (q: string) => {
      await w.find('input[name="search"]').setValue(q);
      return w.findAll('tr[data-ticket]').map((r) => r.attributes('data-ticket'));
    };
    expect(await rows('lenet')).toEqual(['t3']);
    expect(await rows('conv-2')).toEqual(['t4']);
    expect(await rows('mnist')).toEqual(['t3']);
    expect(await rows('snip')).toEqual(['t3']);
    expect(await rows('lr-rewind')).toEqual(['t4']);
    expect(await rows('lenet mnist')).toEqual(['t3']);
  });

  it('closes the detail panel of a ticket the filters hide', async () => {
    const w = await mountView(TicketsView);
    await w.find('tr[data-ticket="t1"]').trigger('click');
    expect(w.find('aside[aria-label="Ticket details"]').exists()).toBe(true);
    await w.find('input[name="search"]').setValue('round 2');
    expect(w.findAll('tr[data-ticket]').map((r) => r.attributes('data-ticket'))).toEqual(['t2']);
    expect(w.find('aside[aria-label="Ticket details"]').exists()).toBe(false);
    await w.find('input[name="search"]').setValue('');
    expect(useTicketsStore().selectedId).toBe('t1');
    expect(w.find('aside[aria-label="Ticket details"]').exists()).toBe(true);
  });
});

describe('Addresses that name nothing', () => {
  it('says an experiment of the address does not exist instead of "Select an experiment"', async () => {
    useExperimentsStore().selectedId = 'e_doesnotexist';
    const w = await mountView(RunsView);
    expect(w.find('[data-testid="missing-experiment"]').text()).toContain('e_doesnotexist');
    expect(w.text()).not.toContain('Select an experiment');
  });

  it('an unknown view goes to the datasets view without taking its second part as a dataset id', () => {
    expect(parseHash('#/nonsense/route')).toEqual({ view: 'datasets', id: null, query: {} });
    expect(parseHash('#/datasets/mnist').id).toBe('mnist');
  });
});
