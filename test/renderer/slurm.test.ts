// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import RunsView from '../../src/renderer/src/views/RunsView.vue';
import WizardView from '../../src/renderer/src/views/WizardView.vue';
import { useUiStore } from '../../src/renderer/src/stores/ui';
import type { ExperimentSummary } from '../../src/shared/results';
import { flush, installFakeLab } from './setup';
import { slurmExperiment, slurmInfo } from './slurm-fixture';

/** The window's side of issue 15: the Slurm panel of an experiment and the wizard's "Run on Slurm". */
const ChartCanvas = defineComponent({ props: ['config', 'label', 'height'], setup: (p) => () => h('div', { class: 'chart-stub', 'aria-label': p.label }) });
let lab: ReturnType<typeof installFakeLab>;

async function settle(n = 6) {
  for (let i = 0; i < n; i++) await flush();
}
async function mountView(c: unknown): Promise<VueWrapper> {
  const w = mount(c as never, { global: { plugins: [lab.pinia], stubs: { ChartCanvas } } });
  await settle();
  return w;
}
/** The fake lab holds one Slurm experiment in the given status. */
function onSlurm(status: ExperimentSummary['status']) {
  const { summary, detail } = slurmExperiment(status);
  lab.services.experiments.list = () => [summary];
  lab.services.experiments.get = () => detail;
  lab.services.tickets.list = () => [];
}

beforeEach(() => {
  lab = installFakeLab();
  localStorage.clear();
});

describe('Slurm panel in the experiment detail', () => {
  it('shows the shared folder, both jobs and every trial state with its job id and runs home', async () => {
    onSlurm('running');
    const w = await mountView(RunsView);
    const panel = w.find('[data-testid="slurm-panel"]');
    expect(panel.exists()).toBe(true);
    expect(panel.find('[data-testid="slurm-folder"]').text()).toBe('/scratch/lab42/lth/e_slurm1');
    expect(panel.find('[data-testid="slurm-jobs"]').text()).toBe('48213 (first), 48290 (resubmitted)');
    const rows = panel.findAll('tbody tr');
    expect(rows.map((r) => r.attributes('data-state'))).toEqual(['completed', 'running', 'pending', 'failed', 'cancelled', 'timeout']);
    expect(rows.map((r) => r.find('[data-testid="slurm-state"]').text())).toEqual(['completed', 'running', 'pending', 'failed', 'cancelled', 'timeout']);
    const cells = (t: number) => panel.findAll(`tr[data-trial="${t}"] td`).map((c) => c.text());
    expect(cells(0)).toEqual(['0', 'completed', 'the task ended normally', '48213_0', '7/7']);
    expect(cells(2)).toEqual(['2', 'pending', 'Priority', '48290_2', '0/7']);
    // Slurm's own word when it says more than ours (out of memory is a failure), with the exit code.
    expect(cells(3)).toEqual(['3', 'failed', 'OUT_OF_MEMORY · exit 0:125', '48213_3', '2/7']);
    expect(cells(5).slice(1, 3)).toEqual(['timeout', 'exit 0:1']);
    expect(panel.find('h3').text()).toContain('1 of 6 trials home · 1 running · 1 pending · 1 failed · 1 cancelled · 1 timeout');
    expect(panel.find('dl').text()).toContain('Runs home17 of 42 · states read');
    expect(panel.find('[data-testid="slurm-hint"]').text()).toContain('Cancel stops the jobs (scancel)');
  });

  it("says why a failed task failed, in the task's own words, and words a preempted one as stopped by Slurm", async () => {
    const info = { ...slurmInfo, trials: [...slurmInfo.trials, { ...slurmInfo.trials[4]!, trial: 6, state: 'preempted' as const, slurmState: 'PREEMPTED', detail: null }] };
    const { summary, detail } = slurmExperiment('failed', info);
    lab.services.experiments.list = () => [summary];
    lab.services.experiments.get = () => detail;
    const w = await mountView(RunsView);
    const errors = w.find('[data-testid="slurm-task-errors"]');
    expect(errors.findAll('li').map((l) => l.text())).toEqual(['Trial 3 failed: slurmstepd: error: Detected 1 oom_kill event in StepId=48213.batch. Some of the step tasks have been OOM Killed.']);
    expect(w.find('tr[data-trial="6"] [data-testid="slurm-state"]').attributes('title')).toBe('stopped by Slurm for another job');
  });

  it('is absent for an experiment that trains here', async () => {
    lab.services.tickets.list = () => [];
    const w = await mountView(RunsView);
    expect(w.find('[data-testid="experiment-title"]').exists()).toBe(true);
    expect(w.find('[data-testid="slurm-panel"]').exists()).toBe(false);
  });

  it('shows a trial that was never submitted, and one Slurm forgot, in words', async () => {
    const info = { ...slurmInfo, jobs: [], trials: [{ ...slurmInfo.trials[0]!, state: 'not-submitted' as const, slurmState: null, jobId: null, runsSynced: 0 }, { ...slurmInfo.trials[1]!, state: 'unknown' as const, slurmState: null, detail: 'no longer known to Slurm' }] };
    const { summary, detail } = slurmExperiment('interrupted', info);
    lab.services.experiments.list = () => [summary];
    lab.services.experiments.get = () => detail;
    const w = await mountView(RunsView);
    const panel = w.find('[data-testid="slurm-panel"]');
    expect(panel.find('[data-testid="slurm-jobs"]').text()).toBe('not submitted yet: Resume submits it');
    expect(panel.find('tr[data-trial="0"]').text()).toContain('not submitted');
    expect(panel.find('tr[data-trial="0"]').text()).toContain('—');
    expect(panel.find('tr[data-trial="1"]').text()).toContain('no longer known to Slurm');
    expect(panel.find('[data-testid="slurm-hint"]').text()).toBe('Resume resubmits only trials 0, 1; each continues from its last checkpoint in the shared folder.');
  });

  it('Sync now merges, says what came home, and re-reads the experiment', async () => {
    onSlurm('running');
    let gets = 0;
    const get = lab.services.experiments.get;
    lab.services.experiments.get = (id) => (gets++, get(id));
    lab.services.slurm.sync = (id) => {
      lab.services.calls.push({ method: 'slurm.sync', args: [id] });
      return { experimentId: id, status: 'running', runsAdded: 3, masksAdded: 3, weightsAdded: 6, warning: null };
    };
    const w = await mountView(RunsView);
    const before = gets;
    await w.find('button[data-action="slurm-sync"]').trigger('click');
    await settle();
    expect(lab.services.calls.filter((c) => c.method === 'slurm.sync')).toEqual([{ method: 'slurm.sync', args: ['e_slurm1'] }]);
    expect(w.find('[data-testid="slurm-sync-result"]').text()).toBe('Brought home 3 runs (3 masks, 6 weight sets). Trials are still waiting or running on the cluster.');
    expect(gets).toBeGreaterThan(before);
    expect(w.find('[data-testid="slurm-sync-error"]').exists()).toBe(false);
  });

  it('Sync now says when nothing is new, when Slurm could not be asked, and when every run is home', async () => {
    onSlurm('running');
    let answer = { status: 'running' as const, runsAdded: 0, warning: 'scontrol did not answer within 10 s: is slurmctld reachable (SLURM_CONF=default)?' as string | null };
    lab.services.slurm.sync = (id) => ({ experimentId: id, masksAdded: 0, weightsAdded: 0, ...answer, status: answer.status });
    const w = await mountView(RunsView);
    await w.find('button[data-action="slurm-sync"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="slurm-sync-result"]').text()).toBe('Nothing new to bring home. Trials are still waiting or running on the cluster.');
    expect(w.find('[data-testid="slurm-sync-warning"]').text()).toContain('Could not ask Slurm, so trial states are as last seen: scontrol did not answer within 10 s');
    answer = { status: 'completed' as never, runsAdded: 1, warning: null };
    await w.find('button[data-action="slurm-sync"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="slurm-sync-result"]').text()).toBe('Brought home 1 run (0 masks, 0 weight sets). Every planned run is here: the experiment is complete.');
    expect(w.find('[data-testid="slurm-sync-warning"]').exists()).toBe(false);
  });

  it('Sync now shows a refused merge as an error, in words', async () => {
    onSlurm('running');
    lab.services.slurm.sync = () => {
      throw Object.assign(new Error('trial 3: results were made for spec hash 9f2c… but the experiment has f00d: refused'), { name: 'SyncRefusedError' });
    };
    const w = await mountView(RunsView);
    await w.find('button[data-action="slurm-sync"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="slurm-sync-error"]').text()).toBe('Sync failed: trial 3: results were made for spec hash 9f2c… but the experiment has f00d: refused');
    expect(w.find('button[data-action="slurm-sync"]').attributes('disabled')).toBeUndefined();
  });

  it('Cancel and Resume are the view’s own actions: they reach the services, which scancel and resubmit', async () => {
    onSlurm('running');
    const w = await mountView(RunsView);
    await w.find('button[data-action="cancel"]').trigger('click');
    await w.find('button[data-action="confirm-cancel"]').trigger('click');
    await settle();
    expect(lab.services.calls.filter((c) => c.method === 'experiments.cancel')).toEqual([{ method: 'experiments.cancel', args: ['e_slurm1'] }]);

    onSlurm('failed');
    const w2 = await mountView(RunsView);
    expect(w2.find('[data-testid="slurm-hint"]').text()).toBe('Resume resubmits only trials 3, 4, 5; each continues from its last checkpoint in the shared folder.');
    await w2.find('button[data-action="resume"]').trigger('click');
    await settle();
    expect(lab.services.calls.filter((c) => c.method === 'experiments.resume')).toEqual([{ method: 'experiments.resume', args: ['e_slurm1'] }]);
  });
});

describe('Run on Slurm in the wizard', () => {
  async function review(): Promise<VueWrapper> {
    const w = await mountView(WizardView);
    await w.find('button[data-step="pruning"]').trigger('click');
    await w.find('input[name="trials"]').setValue('2');
    await w.find('button[data-step="review"]').trigger('click');
    await w.find('input[name="runOnSlurm"]').setValue(true);
    return w;
  }
  const fieldError = (w: VueWrapper, name: string) => w.find(`input[name="${name}"]`).element.closest('label')!.querySelector('.error')?.textContent ?? null;

  it('explains itself in one sentence and shows each resource problem beside its field', async () => {
    const w = await review();
    expect(w.find('[data-testid="slurm-submit"] .explain').text()).toMatch(/^The machine serving the lab \(a cluster login node\) submits one job array with one task per trial/);
    await w.find('input[name="slurmSharedDir"]').setValue('scratch/me');
    await w.find('input[name="slurmTime"]').setValue('2 hours');
    await w.find('input[name="slurmMem"]').setValue('lots');
    await w.find('input[name="slurmPartition"]').setValue('gpu; rm -rf');
    await w.find('input[name="slurmCpus"]').setValue('0');
    expect(fieldError(w, 'slurmSharedDir')).toBe('Shared folder must be an absolute path on the cluster');
    expect(fieldError(w, 'slurmTime')).toBe('Time limit: use minutes (90), hours as 12:00:00, or days as 2-00');
    expect(fieldError(w, 'slurmMem')).toBe('Memory per task: use a number with a unit, e.g. 16G or 16000M');
    expect(fieldError(w, 'slurmPartition')).toBe('Partition must be one word without spaces, quotes or $');
    expect(fieldError(w, 'slurmCpus')).toBe('CPUs per task must be at least 1');
    expect(w.find('input[name="slurmTime"]').attributes('aria-invalid')).toBe('true');
    await w.find('button[data-action="slurm-submit"]').trigger('click');
    await settle();
    expect(lab.services.calls.some((c) => c.method === 'slurm.submit')).toBe(false);
  });

  it('needs a shared folder or a profile, then submits the spec with the resources given and opens the experiment', async () => {
    const w = await review();
    expect(fieldError(w, 'slurmSharedDir')).toBeNull();
    await w.find('button[data-action="slurm-submit"]').trigger('click');
    await settle();
    expect(fieldError(w, 'slurmSharedDir')).toBe('Shared folder is required: a folder every node of the cluster sees (or a profile that sets it)');
    await w.find('input[name="slurmSharedDir"]').setValue('/scratch/me/lth');
    await w.find('input[name="slurmPartition"]').setValue('gpu');
    await w.find('input[name="slurmTime"]').setValue('12:00:00');
    await w.find('input[name="slurmCpus"]').setValue('4');
    await w.find('input[name="slurmGpus"]').setValue('1');
    await w.find('input[name="slurmMem"]').setValue('16G');
    await w.find('button[data-action="slurm-submit"]').trigger('click');
    await settle();
    const call = lab.services.calls.find((c) => c.method === 'slurm.submit');
    expect(call?.args[0]).toEqual({
      spec: expect.objectContaining({ dataset: 'mnist', trials: 2 }),
      resources: { sharedDir: '/scratch/me/lth', partition: 'gpu', time: '12:00:00', cpusPerTask: 4, gpusPerTask: 1, mem: '16G' },
    });
    expect(lab.services.calls.some((c) => c.method === 'experiments.create')).toBe(false);
    expect(useUiStore().view).toBe('runs');
    // The next experiment starts from the same resources.
    expect(JSON.parse(localStorage.getItem('lth.slurm.resources')!)).toMatchObject({ sharedDir: '/scratch/me/lth', partition: 'gpu', cpusPerTask: '4' });
  });

  it('puts a profile problem beside the profile and a machine that is no login node beside the button', async () => {
    const w = await review();
    await w.find('input[name="slurmProfile"]').setValue('gpu');
    lab.services.slurm.submit = () => {
      throw Object.assign(new Error("slurm profile 'gpu' is not in /home/me/.lth/slurm-profiles.json (it has: cpu)"), { name: 'SlurmProfileError' });
    };
    await w.find('button[data-action="slurm-submit"]').trigger('click');
    await settle();
    expect(fieldError(w, 'slurmProfile')).toBe("slurm profile 'gpu' is not in /home/me/.lth/slurm-profiles.json (it has: cpu)");
    lab.services.slurm.submit = () => {
      throw Object.assign(new Error('sbatch not found: this machine is not a Slurm login node (install slurm-client, or run lth where sbatch works)'), { name: 'SlurmError' });
    };
    await w.find('input[name="slurmProfile"]').setValue('cpu');
    expect(fieldError(w, 'slurmProfile')).toBeNull();
    await w.find('button[data-action="slurm-submit"]').trigger('click');
    await settle();
    expect(w.find('[data-testid="slurm-submit-error"]').text()).toMatch(/^sbatch not found: this machine is not a Slurm login node .*\. The lab can submit only from a machine where sbatch works\.$/);
    expect(useUiStore().view).not.toBe('runs');
  });
});


describe('Slurm panel once every run is home', () => {
  beforeEach(() => {
    lab = installFakeLab();
  });
  it('shows a trial whose runs are all home as completed even when Slurm was last seen running it', async () => {
    const info = { ...slurmInfo, trials: [{ ...slurmInfo.trials[0]! }, { ...slurmInfo.trials[1]!, runsSynced: 7 }] };
    const { summary, detail } = slurmExperiment('completed', info);
    lab.services.experiments.list = () => [summary];
    lab.services.experiments.get = () => detail;
    lab.services.tickets.list = () => [];
    const w = await mountView(RunsView);
    const row = w.find('[data-testid="slurm-panel"] tr[data-trial="1"]');
    expect(row.attributes('data-state')).toBe('completed');
    expect(row.text()).toContain('all its runs are home (Slurm last said RUNNING)');
    expect(w.find('[data-testid="slurm-panel"] h3').text()).toContain('2 of 2 trials home');
    expect(w.find('[data-testid="slurm-hint"]').text()).toBe('Every trial is home; the task files stay in the shared folder until you delete them.');
  });
});
