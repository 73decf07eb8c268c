// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import RunsView from '../../src/renderer/src/views/RunsView.vue';
import { flush, installFakeLab } from './setup';

const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { 'aria-label': p.label }) });
let lab: ReturnType<typeof installFakeLab>;
beforeEach(() => {
  lab = installFakeLab();
});

describe('experiments as records in the Runs view', () => {
  it('saves notes and tags, then finds and groups the experiment by tag', async () => {
    const base = lab.services.experiments.list()[0]!;
    let tags: string[] = [];
    lab.services.experiments.list = () => [
      { ...base, tags },
      { ...base, id: 'e2', name: 'another one', tags: [] },
    ];
    const update = lab.services.experiments.update;
    lab.services.experiments.update = (id, u) => {
      tags = u.tags ?? tags;
      return update(id, u);
    };
    const w = mount(RunsView as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas } } });
    for (let i = 0; i < 5; i++) await flush();
    await w.find('textarea[name="experimentNotes"]').setValue('rewind at 500 next');
    await w.find('input[name="experimentTags"]').setValue('lenet, baseline');
    await w.find('form[aria-label="Notes and tags"]').trigger('submit');
    for (let i = 0; i < 3; i++) await flush();
    expect(lab.services.calls).toContainEqual({ method: 'experiments.update', args: ['e1', { notes: 'rewind at 500 next', tags: ['lenet', 'baseline'] }] });
    await w.find('input[name="searchExperiments"]').setValue('baseline');
    expect(w.findAll('tr[data-experiment]').map((r) => r.attributes('data-experiment'))).toEqual(['e1']);
    await w.find('input[name="searchExperiments"]').setValue('');
    await w.find('select[name="groupBy"]').setValue('tag');
    expect(w.findAll('tr.group').map((r) => r.text().replace(/\s+/g, ' '))).toEqual(['(no tag) · 1', 'baseline · 1', 'lenet · 1']);
  });
});
