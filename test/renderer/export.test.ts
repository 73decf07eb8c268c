// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import ExportPanel from '../../src/renderer/src/components/ExportPanel.vue';
import CompareView from '../../src/renderer/src/views/CompareView.vue';
import { clientFrom, setClient } from '../../src/renderer/src/api/client';
import { createDispatcher } from '../../src/main/server/dispatch';
import { useExportsStore } from '../../src/renderer/src/stores/exports';
import { useUiStore } from '../../src/renderer/src/stores/ui';
import { flush, installFakeLab } from './setup';

const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { class: 'chart-stub', 'aria-label': p.label }) });
let lab: ReturnType<typeof installFakeLab>;
const settle = async () => {
  for (let i = 0; i < 5; i++) await flush();
};

async function mountPanel(props = { experimentIds: ['e1'], tickets: [{ id: 't1', name: 'ticket one' }] }): Promise<VueWrapper> {
  const w = mount(ExportPanel, { props, global: { plugins: [lab.pinia] } });
  await settle();
  return w;
}

beforeEach(() => {
  lab = installFakeLab();
});

describe('export panel for instability analyses only', () => {
  it('starts on the instability path figure rather than an IMP figure they do not have', async () => {
    const w = await mountPanel({ experimentIds: ['e1'], tickets: [], stabilityOnly: true } as never);
    expect((w.find('select[name="exportFigure"]').element as HTMLSelectElement).value).toBe('stability-path');
    const plain = await mountPanel({ experimentIds: ['e1'], tickets: [] } as never);
    expect((plain.find('select[name="exportFigure"]').element as HTMLSelectElement).value).toBe('stability-path');
    useExportsStore().form.figure = 'accuracy';
    await settle();
    expect((plain.find('select[name="exportFigure"]').element as HTMLSelectElement).value).toBe('accuracy');
  });
});

describe('exports store', () => {
  it('sends the form as one exports.figures request and keeps the written files', async () => {
    const store = useExportsStore();
    store.form.folder = '  /home/me/paper/figs ';
    store.form.formats = ['svg', 'pdf', 'png', 'csv', 'tex'];
    const files = await store.run(['e1']);
    expect(files).toEqual(['svg', 'pdf', 'png', 'csv', 'tex'].map((f) => `/home/me/paper/figs/accuracy.${f}`));
    expect(store.files).toEqual(files);
    expect(lab.services.calls.at(-1)).toEqual({
      method: 'exports.figures',
      args: [{ experimentIds: ['e1'], figure: 'accuracy', formats: ['svg', 'pdf', 'png', 'csv', 'tex'], widthInches: 3.5, folder: '/home/me/paper/figs' }],
    });
  });

  it('keeps errors by field (formats.0 -> formats) and sends rounds only for curves and layers', async () => {
    const store = useExportsStore();
    store.form.folder = 'figs';
    store.form.rounds = '3-1';
    expect(await store.run(['e1'])).toBeNull();
    expect(store.errors.folder).toMatch(/absolute path/);
    expect(store.errors.rounds).toBeUndefined();
    store.form.figure = 'curves';
    await store.run(['e1']);
    expect(store.errors.rounds).toMatch(/end is before the start/);
    store.form = { ...store.form, folder: '/tmp/x', rounds: '1,2', formats: ['jpg' as never] };
    await store.run(['e1']);
    expect(Object.keys(store.errors)).toEqual(['formats']);
    store.form.formats = ['svg'];
    await store.run(['e1']);
    expect(lab.services.calls.at(-1)?.args[0]).toMatchObject({ figure: 'curves', rounds: [1, 2] });
  });
});

describe('Export panel', () => {
  it('exports the accuracy figure in single-column size and lists the written files', async () => {
    const w = await mountPanel();
    expect(w.find('button[data-action="export"]').attributes('disabled')).toBeDefined();
    // Browser mode: a typed path on the serving machine, no native picker.
    expect(w.find('button[data-action="export-browse"]').exists()).toBe(false);
    expect(w.text()).toContain('absolute path on the machine running');
    for (const f of ['svg', 'pdf', 'png', 'csv', 'tex']) expect((w.find(`input[name="format-${f}"]`).element as HTMLInputElement).checked).toBe(true);
    expect((w.find('input[name="format-md"]').element as HTMLInputElement).checked).toBe(false);
    await w.find('input[name="format-md"]').setValue(true);
    await w.find('input[name="format-md"]').setValue(false);
    await w.find('input[name="exportWidth"][value="3.5"]').setValue(true);
    await w.find('input[name="exportFolder"]').setValue('/srv/figs');
    await w.find('form').trigger('submit');
    await settle();
    expect(w.findAll('[data-testid="exported-file"] b').map((x) => x.text())).toEqual(['accuracy.svg', 'accuracy.pdf', 'accuracy.png', 'accuracy.csv', 'accuracy.tex']);
    expect(lab.services.calls.at(-1)?.args[0]).toMatchObject({ figure: 'accuracy', widthInches: 3.5, formats: ['svg', 'pdf', 'png', 'csv', 'tex'] });
  });

  it('shows a refused folder beside the field, and the service error too', async () => {
    lab.services.exports.figures = async () => {
      throw Object.assign(new Error('cannot write /srv/figs/accuracy.svg: permission denied'), { code: 'invalid', field: 'folder' });
    };
    const w = await mountPanel();
    await w.find('input[name="exportFolder"]').setValue('relative/figs');
    await w.find('form').trigger('submit');
    await settle();
    expect(w.find('[data-testid="export-folder-error"]').text()).toMatch(/absolute path/);
    expect(w.find('input[name="exportFolder"]').attributes('aria-invalid')).toBe('true');
    await w.find('input[name="exportFolder"]').setValue('/srv/figs');
    await w.find('form').trigger('submit');
    await settle();
    expect(w.find('[data-testid="export-folder-error"]').text()).toBe('cannot write /srv/figs/accuracy.svg: permission denied');
    expect(w.findAll('[data-testid="exported-file"]')).toHaveLength(0);
  });

  it('uses the native folder picker in the desktop app, and offers the mask figure for a chosen ticket', async () => {
    const dispatch = createDispatcher(lab.services, { 'host.pickFolder': async () => '/Users/me/figures' });
    setClient(clientFrom('electron', (c, p) => dispatch(c, p), (l) => lab.services.subscribe(l)));
    const w = await mountPanel();
    await w.find('button[data-action="export-browse"]').trigger('click');
    await settle();
    expect((w.find('input[name="exportFolder"]').element as HTMLInputElement).value).toBe('/Users/me/figures');
    await w.find('select[name="exportFigure"]').setValue('mask');
    expect(w.find('select[name="exportTicket"]').exists()).toBe(true);
    await w.find('form').trigger('submit');
    await settle();
    expect(lab.services.calls.at(-1)?.args[0]).toMatchObject({ figure: 'mask', ticketId: 't1', folder: '/Users/me/figures' });
  });
});

describe('Compare view with the export panel', () => {
  it('draws the shared figures in the screen medium and exports from the comparison', async () => {
    useUiStore(lab.pinia).compareExperiments = ['e1'];
    const configs: Record<string, unknown>[] = [];
    const Capture = defineComponent({
      props: ['config', 'label', 'height'],
      setup: (p) => () => {
        configs.push({ label: p.label, config: p.config });
        return h('div', { class: 'chart-stub', 'aria-label': p.label });
      },
    });
    const w = mount(CompareView as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas: Capture } } });
    await settle();
    const acc = configs.filter((c) => String(c.label).includes('log axis')).at(-1)?.config as { options: { responsive: boolean; scales: { x: { type: string; title: { text: string } } } } };
    // The shared description (its axis title, log scale), made to fill its panel.
    expect(acc.options.scales.x).toMatchObject({ type: 'logarithmic', title: { text: 'Weights remaining (%)' } });
    expect(acc.options.responsive).toBe(true);
    expect(w.find('form[aria-labelledby="export-h"]').exists()).toBe(true);
    await w.find('input[name="exportFolder"]').setValue('/tmp/paper');
    await w.find('form[aria-labelledby="export-h"]').trigger('submit');
    await settle();
    expect(lab.services.calls.at(-1)).toMatchObject({ method: 'exports.figures', args: [{ experimentIds: ['e1'], figure: 'accuracy' }] });
    expect(w.findAll('[data-testid="exported-file"]')).toHaveLength(5);
  });
});
