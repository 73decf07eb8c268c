import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../../src/shared/events';
import { createLabServices } from '../../src/main/services';
import { mapState, parseScontrol, parseTaskIds } from '../../src/main/slurm/cluster';
import { jobScript, readManifest, timeMinutes } from '../../src/main/slurm/folder';
import { lastErrorLine } from '../../src/main/slurm/task-log';
import { mergeProfiles, parseProfile } from '../../src/main/slurm/profile';
import { freshHome } from '../cli/lth';
import { writeIdxFolder } from '../e2e/helpers';
import { json, lth, lthAsync, privateLth, skipReason } from './cluster';

/*
 * What needs no cluster: the task runs straight from the shell (exactly the command job.sbatch execs), and sync,
 * the integrity checks and the background poll work on its real SQLite files. These run wherever CI runs.
 */
/** A tiny ResNet with batch norm (4 and 8 channels, one block per stage), Adam so that a few steps learn something. */
const BN_SPEC = ['--preset', 'resnet20-cifar10', '--residual', '4,8x1', '--iterations', '4', '--batch-size', '16', '--validation-size', '20', '--eval-interval', '2', '--optimizer', 'adam', '--lr', '0.01', '--warmup', '0', '--lr-milestones', '3', '--no-augment', '--controls', 'none', '--backend', 'wasm'];
/** For lth and the services: a Slurm that does not answer (nothing here may reach a cluster CI has started). */
const NO_CLUSTER = { SLURM_CONF: '/nonexistent/slurm.conf' };
const SPEC = ['--preset', 'lenet300-mnist', '--trials', '2', '--rounds', '2', '--iterations', '30', '--eval-interval', '30', '--validation-size', '1000', '--controls', 'none', '--backend', 'wasm'];

function runTask(folder: string, trial: number, home: string) {
  return lth(['--backend', 'wasm', 'slurm-task', folder, '--trial', String(trial)], home);
}

async function syncAsync(id: string, home: string): Promise<any> {
  return json(await lthAsync(['sync', id, '--json'], home, { LTH_DEBUG: '1' }));
}

function rows(home: string, id: string): string {
  const db = new Database(join(home, 'lth.sqlite'), { readonly: true });
  try {
    const q = (sql: string) => JSON.stringify(db.prepare(sql).all(id), (_k, v) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
    return [q('SELECT status, error FROM experiments WHERE id = ?'), q('SELECT * FROM runs WHERE experiment_id = ?'), q('SELECT * FROM masks WHERE experiment_id = ?'), q('SELECT * FROM weights WHERE experiment_id = ?')].join('\n');
  } finally {
    db.close();
  }
}

describe('Slurm task files and sync (no cluster needed)', () => {
  it('parses scontrol records, array ranges and Slurm states', () => {
    expect(parseTaskIds('0-3,5,7-9%2')).toEqual([0, 1, 2, 3, 5, 7, 8, 9]);
    expect(parseTaskIds('0-6:3')).toEqual([0, 3, 6]);
    const text = [
      'JobId=12 ArrayJobId=10 ArrayTaskId=2-3 JobName=lth UserId=root(0) JobState=PENDING Reason=Resources Dependency=(null) ExitCode=0:0',
      'JobId=11 ArrayJobId=10 ArrayTaskId=1 JobName=lth JobState=CANCELLED Reason=None ExitCode=0:15',
      'JobId=10 ArrayJobId=10 ArrayTaskId=0 JobName=lth JobState=COMPLETED Reason=None ExitCode=0:0',
      '',
    ].join('\n');
    expect(parseScontrol(text)).toEqual([
      { arrayJobId: '10', taskId: 2, slurmState: 'PENDING', state: 'pending', reason: 'Resources', exitCode: null },
      { arrayJobId: '10', taskId: 3, slurmState: 'PENDING', state: 'pending', reason: 'Resources', exitCode: null },
      { arrayJobId: '10', taskId: 1, slurmState: 'CANCELLED', state: 'cancelled', reason: null, exitCode: '0:15' },
      { arrayJobId: '10', taskId: 0, slurmState: 'COMPLETED', state: 'completed', reason: null, exitCode: null },
    ]);
    expect(['TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'PREEMPTED', 'RUNNING', 'WHATEVER'].map(mapState)).toEqual(['timeout', 'failed', 'node-fail', 'node-fail', 'preempted', 'running', 'unknown']);
  });

  it('profiles: flags override fields, sbatch lines add up, and nothing can smuggle a line into the job script', () => {
    const p = mergeProfiles(parseProfile({ partition: 'gpu', time: '12:00:00', sbatch: ['--constraint=a100'] }, 'p'), parseProfile({ time: '30', sbatch: ['#SBATCH --exclusive'] }, 'flags'));
    expect(p).toEqual({ partition: 'gpu', time: '30', sbatch: ['--constraint=a100', '#SBATCH --exclusive'] });
    expect(() => parseProfile({ partition: 'gpu\nrm -rf ~' }, 'p')).toThrow(/partition/);
    expect(() => parseProfile({ sbatch: ['--x=1\nrm -rf ~'] }, 'p')).toThrow(/one line/);
    expect(() => parseProfile({ time: 'soon' }, 'p')).toThrow(/use minutes/);
    expect(() => parseProfile({ gpus: 1 }, 'p')).toThrow(/gpus/);
    expect(['30', '5:30', '12:00:00', '2-00', '1-02:30', '1-00:00:30'].map(timeMinutes)).toEqual([30, 5.5, 720, 2880, 1590, 1440.5]);
  });

  it('a task run by hand fills its own file; sync merges only published files, refuses damaged or foreign ones, and merging twice changes nothing', async () => {
    const home = freshHome();
    const shared = mkdtempSync(join(tmpdir(), 'lth-shared-'));
    // --no-submit: the folder and job script only; nothing needs sbatch.
    const sub = json(
      lth(['run', ...SPEC, '--on', 'slurm', '--no-submit', '--shared-dir', shared, '--partition', 'gpu', '--gpus-per-task', '1', '--cpus-per-task', '4', '--sbatch', '--constraint=a100', '--json'], home),
    );
    expect(sub.jobId).toBeNull();
    const id: string = sub.experimentId;
    const folder = join(shared, id);
    const script = readFileSync(join(folder, 'job.sbatch'), 'utf8');
    for (const l of ['#SBATCH --partition=gpu', '#SBATCH --gpus-per-task=1', '#SBATCH --cpus-per-task=4', '#SBATCH --constraint=a100', '#SBATCH --array=0-1']) {
      expect(script.split('\n')).toContain(l);
    }
    expect(script).toBe(jobScript(folder, readManifest(folder), { partition: 'gpu', gpusPerTask: 1, cpusPerTask: 4, sbatch: ['--constraint=a100'] }, script.match(/^exec (.*) --backend/m)![1]!));
    expect(json(lth(['experiments', 'show', id, '--json'], home)).status).toBe('interrupted');

    // Nothing published yet: sync merges nothing and does not call the experiment completed.
    let r = json(lth(['sync', id, '--json'], home));
    expect([r.runsAdded, r.status]).toEqual([0, 'interrupted']);

    const t0 = runTask(folder, 0, home);
    expect(t0.status).toBe(0);
    expect(t0.stdout).toMatch(/trial 0 completed/);
    // Only the published copy is read: without it, the task's working file (with the same runs) is ignored.
    const pub0 = join(folder, 'tasks', 'trial-0.published.sqlite');
    renameSync(pub0, `${pub0}.aside`);
    expect(json(lth(['sync', id, '--json'], home)).runsAdded).toBe(0);
    renameSync(`${pub0}.aside`, pub0);

    r = json(lth(['sync', id, '--json'], home));
    expect([r.runsAdded, r.masksAdded]).toEqual([2, 2]);
    expect(r.status).toBe('interrupted');
    expect(json(lth(['experiments', 'show', id, '--json'], home)).error).toMatch(/trial 1 not-submitted; 1 trial\(s\) missing: lth resume/);

    // A half-written or damaged file is refused and nothing is written.
    const t1 = runTask(folder, 1, home);
    expect(t1.status).toBe(0);
    const pub1 = join(folder, 'tasks', 'trial-1.published.sqlite');
    const keep = `${pub1}.keep`;
    copyFileSync(pub1, keep);
    const before = rows(home, id);
    truncateSync(pub1, Math.floor(statSync(pub1).size / 2));
    let bad = lth(['sync', id], home);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/results of trial 1 .* refused: (damaged|not a readable SQLite database)/);
    expect(rows(home, id)).toBe(before);
    writeFileSync(pub1, 'SQLite format 3\0 but not really');
    bad = lth(['sync', id], home);
    expect(bad.stderr).toMatch(/results of trial 1 .* refused/);
    expect(rows(home, id)).toBe(before);

    // Another task's file under this trial's name: rows of trial 0 in trial 1's place are refused.
    copyFileSync(pub0, pub1);
    bad = lth(['sync', id], home);
    expect(bad.stderr).toMatch(/results of trial 1 .* refused: it holds rows of other trials than 1/);
    expect(rows(home, id)).toBe(before);

    // A run whose recorded density is not its mask's.
    copyFileSync(keep, pub1);
    const w = new Database(pub1);
    w.prepare(`UPDATE runs SET layer_density = '[0.5,0.5,0.5]' WHERE round = 1`).run();
    w.close();
    bad = lth(['sync', id], home);
    expect(bad.stderr).toMatch(/ticket run of round 1 records another density per layer than its mask keeps/);
    expect(rows(home, id)).toBe(before);

    // Two syncs at once (a window's poll beside `lth sync`): they take turns, and trial 1 comes home exactly once.
    copyFileSync(keep, pub1);
    const both = await Promise.all([syncAsync(id, home), syncAsync(id, home)]);
    expect(both.map((x) => x.status)).toEqual(['completed', 'completed']);
    expect(both[0]!.runsAdded + both[1]!.runsAdded).toBe(2);
    expect(both[0]!.masksAdded + both[1]!.masksAdded).toBe(2);
    const done = rows(home, id);
    r = json(lth(['sync', id, '--json'], home));
    expect([r.runsAdded, r.masksAdded, r.weightsAdded, r.status]).toEqual([0, 0, 0, 'completed']);
    expect(rows(home, id)).toBe(done);
    // Completed like a local run: each trial's winning ticket kept, trained weights dropped.
    expect(json(lth(['tickets', 'list', '--json'], home)).filter((t: any) => t.experimentId === id)).toHaveLength(2);
    expect(done).not.toMatch(/"kind":"trained"/);

    // A task asked for a trial the experiment does not have fails with a clear message.
    const t9 = runTask(folder, 9, home);
    expect(t9.status).toBe(1);
    expect(t9.stderr).toMatch(/trial 9 is not a trial of experiment .* \(it has trials 0-1\)/);
  });

  it('a window or lth serve syncs running Slurm experiments in the background and says when they complete', async () => {
    const home = freshHome();
    const shared = mkdtempSync(join(tmpdir(), 'lth-shared-'));
    const one = SPEC.map((a, i) => (SPEC[i - 1] === '--trials' ? '1' : a));
    const id: string = json(lth(['run', ...one, '--on', 'slurm', '--no-submit', '--shared-dir', shared, '--json'], home)).experimentId;
    const folder = join(shared, id);
    // As if submitted: running, owned by no local process (startup must not take it for a dead local run).
    const db = new Database(join(home, 'lth.sqlite'));
    db.prepare(`UPDATE experiments SET status = 'running', error = NULL WHERE id = ?`).run(id);
    db.close();
    const recFile = join(home, 'slurm', `${id}.json`);
    const rec = JSON.parse(readFileSync(recFile, 'utf8'));
    rec.states = { 0: { state: 'running', slurmState: 'RUNNING', jobId: '1_0', detail: null } };
    writeFileSync(recFile, JSON.stringify(rec));
    process.env.LTH_SLURM_POLL_SECONDS = '0.3';
    // Job 1 is made up: no controller is asked (one CI started would answer that it has no such array task).
    const conf = process.env.SLURM_CONF;
    process.env.SLURM_CONF = NO_CLUSTER.SLURM_CONF;
    const services = await createLabServices({ home, backend: 'wasm', runner: 'child', lazyBackend: true, workers: 1, workerEntry: join(privateLth(), '..', 'worker.js') });
    try {
      expect(services.experiments.get(id).status).toBe('running');
      expect(services.experiments.get(id).slurm).toMatchObject({ folder, trials: [{ trial: 0, state: 'running', jobId: '1_0', runsSynced: 0, runsPlanned: 2 }] });
      const events: LabEvent[] = [];
      const completed = new Promise<void>((resolve) =>
        services.subscribe((e) => {
          events.push(e);
          if (e.type === 'status' && e.experimentId === id && e.status === 'completed') resolve();
        }),
      );
      expect(runTask(folder, 0, home).status).toBe(0);
      await completed;
      const d = services.experiments.get(id);
      expect(d.status).toBe('completed');
      expect(d.runs).toHaveLength(2);
      expect(d.slurm!.trials[0]!.runsSynced).toBe(2);
      // Said once, without an error, however many polls follow (a completed experiment is no longer polled).
      await new Promise((r) => setTimeout(r, 1500));
      expect(events.filter((e) => e.type === 'status' && e.experimentId === id && e.status !== 'running')).toEqual([{ type: 'status', experimentId: id, status: 'completed', error: null }]);
    } finally {
      delete process.env.LTH_SLURM_POLL_SECONDS;
      if (conf === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = conf;
      await services.close();
    }
  });

  it('a batch-norm network, asked for by dataset name: the manifest keeps batchNorm, the task builds the same network and trains it, sync brings it home', () => {
    const home = freshHome();
    const shared = mkdtempSync(join(tmpdir(), 'lth-shared-'));
    writeIdxFolder(join(home, 'digits'), 120, 40);
    const imported = json(lth(['datasets', 'import', 'idx', join(home, 'digits'), '--name', 'tinyc', '--json'], home));
    // The name works on the Slurm path as it does locally; the spec records the id.
    const sub = json(lth(['run', ...BN_SPEC, '--trials', '1', '--rounds', '1', '--dataset', 'tinyc', '--on', 'slurm', '--no-submit', '--shared-dir', shared, '--json'], home));
    const id: string = sub.experimentId;
    const folder = join(shared, id);
    const shown = json(lth(['experiments', 'show', id, '--json'], home));
    expect(shown.datasetId).toBe(imported.id);
    expect(shown.spec.dataset).toBe(imported.id);
    const convs = shown.layers.filter((l: any) => l.kind === 'conv');
    expect(convs.length).toBeGreaterThan(0);
    expect(convs.every((l: any) => l.batchNorm === true)).toBe(true);

    const m = readManifest(folder);
    expect(m.layers).toEqual(shown.layers);
    expect(m.dataset.id).toBe(imported.id);

    const t0 = runTask(folder, 0, home);
    expect(t0.stderr).toBe('');
    expect(t0.status).toBe(0);
    const r = json(lth(['sync', id, '--json'], home));
    expect([r.runsAdded, r.status]).toEqual([1, 'completed']);

    // A layer field this version does not know is refused, not dropped (it could change how blobs are laid out).
    const file = join(folder, 'experiment.json');
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    raw.layers[0].groupNorm = true;
    writeFileSync(file, JSON.stringify(raw));
    expect(() => readManifest(folder)).toThrow(/experiment\.json is invalid: layers\.0: Unrecognized key.*groupNorm/);
  });

  it('when every task has ended, lth experiments list and show (no lth sync) say failed with the task\'s last error line, or interrupted when Slurm stopped it', () => {
    const home = freshHome();
    const shared = mkdtempSync(join(tmpdir(), 'lth-shared-'));
    const one = SPEC.map((a, i) => (SPEC[i - 1] === '--trials' ? '1' : a));
    const submitted = (state: string, slurmState: string, job: string) => {
      const id: string = json(lth(['run', ...one, '--on', 'slurm', '--no-submit', '--shared-dir', shared, '--json'], home)).experimentId;
      const db = new Database(join(home, 'lth.sqlite'));
      db.prepare(`UPDATE experiments SET status = 'running', error = NULL WHERE id = ?`).run(id);
      db.close();
      const recFile = join(home, 'slurm', `${id}.json`);
      const rec = JSON.parse(readFileSync(recFile, 'utf8'));
      rec.jobs = [{ jobId: job, trials: [0], submittedAt: new Date().toISOString() }];
      rec.states = { 0: { state, slurmState, jobId: `${job}_0`, detail: 'exit 1:0, NonZeroExitCode' } };
      writeFileSync(recFile, JSON.stringify(rec));
      return id;
    };
    const failed = submitted('failed', 'FAILED', '7');
    // What a task that died before opening its store leaves: its log only.
    writeFileSync(
      join(shared, failed, 'logs', 'slurm-7_0.out'),
      'lth: warning: WebGPU is installed but failed: training on wasm\nlth: the dataset copy /scratch/x/dataset is missing from the experiment folder\n',
    );
    const preempted = submitted('preempted', 'PREEMPTED', '8');

    const list = lth(['experiments', 'list'], home, NO_CLUSTER);
    expect(list.stderr).toBe('');
    const lineOf = (id: string) => list.stdout.split('\n').find((l) => l.startsWith(id)) ?? '';
    expect(lineOf(failed)).toMatch(/^e_\w+ +failed .*\(trial 0 failed \(job 7_0\): the dataset copy \/scratch\/x\/dataset is missing from the experiment folder; 1 trial\(s\) missing: lth resume/);
    expect(lineOf(preempted)).toMatch(/^e_\w+ +interrupted /);
    const listed = json(lth(['experiments', 'list', '--json'], home, NO_CLUSTER));
    expect(listed.find((e: any) => e.id === failed)).toMatchObject({ status: 'failed', error: expect.stringContaining('the dataset copy /scratch/x/dataset is missing') });
    expect(listed.find((e: any) => e.id === preempted)).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/^trial 0 preempted \(job 8_0\); 1 trial\(s\) missing: lth resume/) });

    const shown = json(lth(['experiments', 'show', failed, '--json'], home, NO_CLUSTER));
    expect(shown.status).toBe('failed');
    expect(shown.slurm.trials[0]).toMatchObject({ state: 'failed', error: 'the dataset copy /scratch/x/dataset is missing from the experiment folder' });
    const text = lth(['experiments', 'show', failed], home, NO_CLUSTER).stdout;
    expect(text).toMatch(/^error: trial 0 failed \(job 7_0\): the dataset copy/m);
    expect(text).toMatch(/trial  0  failed .*\n +error: the dataset copy \/scratch\/x\/dataset is missing/);
  });

  it('reads the last error line of a task log: lth\'s own, else the last error-like line, else the last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lth-log-'));
    const log = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return lastErrorLine(join(dir, name));
    };
    expect(log('a', '2026-12-08T00:00:00Z experiment e_1 trial 0 on wasm\nlth: warning: no GPU\nlth: trial 3 is not a trial\n\n')).toBe('trial 3 is not a trial');
    expect(log('b', 'starting\n/var/spool/slurmd/job12/slurm_script: line 12: node: command not found\n')).toBe('/var/spool/slurmd/job12/slurm_script: line 12: node: command not found');
    expect(log('c', 'x\nlast words\n')).toBe('last words');
    expect(log('d', '')).toBeNull();
    expect(lastErrorLine(join(dir, 'missing'))).toBeNull();
    expect(log('e', `lth: ${'y'.repeat(900)}\n`)).toHaveLength(500);
  });

  it('CI=true turns a cluster that did not start into a failure; elsewhere the tests skip with the reason', () => {
    expect(skipReason({ skip: 'needs root' }, {})).toBe('needs root');
    expect(() => skipReason({ skip: 'needs root' }, { CI: 'true' })).toThrow('CI=true, and the local Slurm cluster did not start: needs root');
    expect(skipReason({ env: {}, startedDir: null, upSeconds: 0 }, { CI: 'true' })).toBeNull();
  });
});
