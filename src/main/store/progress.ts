import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabEvent } from '../../shared/events';
import type { PartialRun } from '../../shared/results';

type Progress = Extract<LabEvent, { type: 'progress' }>;

/** What one experiment's progress file holds: the latest report and every unfinished run's curve so far. */
export interface StoredProgress {
  experimentId: string;
  /** Process that wrote it (the one training). */
  pid: number;
  latest: Progress | null;
  runs: PartialRun[];
}

const keyOf = (r: { trial: number; variant: string; round: number }) => `${r.trial}:${r.variant}:${r.round}`;
const FILE = /^(e_[A-Za-z0-9_-]+)\.json$/;

/**
 * Live progress of running experiments, one small JSON file per experiment under <dataDir>/progress,
 * written by the process that trains it. Other processes on the same data directory (an open window
 * while the CLI trains, a second window) read it to show progress they did not start, and the curve of
 * a run stopped half-way (pause, cancel) survives a reload. Files are replaced atomically (rename).
 */
export class ProgressLog {
  private readonly state = new Map<string, StoredProgress>();
  private readonly lastWrite = new Map<string, number>();

  constructor(
    readonly dir: string,
    /** Minimum milliseconds between two writes of the same experiment's file when no new evaluation came. */
    private readonly throttleMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called with every event of the experiments this process runs. */
  record(e: LabEvent): void {
    if (e.type === 'progress') {
      const s = this.load(e.experimentId);
      const key = keyOf(e);
      let run = s.runs.find((r) => keyOf(r) === key);
      if (!run || e.iteration < run.iteration) {
        // A run that restarted from the beginning (no checkpoint) draws its curve again.
        s.runs = s.runs.filter((r) => keyOf(r) !== key);
        run = { trial: e.trial, variant: e.variant, round: e.round, iteration: e.iteration, totalIterations: e.totalIterations, curve: [], updatedAt: '' };
        s.runs.push(run);
      }
      run.iteration = e.iteration;
      run.totalIterations = e.totalIterations;
      run.updatedAt = new Date(this.now()).toISOString();
      let fresh = false;
      if (e.valAccuracy !== null && e.valLoss !== null) {
        // Every tick repeats the latest evaluation: it is one point, at the iteration it was taken (not a staircase
        // of the same value at every tick). Events without evalIteration (older writers) count the tick's iteration.
        const at = e.evalIteration ?? e.iteration;
        const last = run.curve.at(-1);
        const same = last && last.valAccuracy === e.valAccuracy && last.valLoss === e.valLoss && e.evalIteration === undefined;
        if (!same && (!last || last.iteration !== at)) {
          // A resumed run may report from its checkpoint again: keep the curve ordered and unique.
          run.curve = run.curve.filter((p) => p.iteration < at);
          run.curve.push({ iteration: at, valAccuracy: e.valAccuracy, testAccuracy: e.testAccuracy, valLoss: e.valLoss });
          fresh = true;
        }
      }
      s.latest = e;
      const last = this.lastWrite.get(e.experimentId) ?? 0;
      if (fresh || this.now() - last >= this.throttleMs) this.write(s);
    } else if (e.type === 'run-complete') {
      const s = this.load(e.experimentId);
      const key = keyOf(e.result);
      s.runs = s.runs.filter((r) => keyOf(r) !== key);
      this.write(s);
    } else if (e.status === 'completed') {
      this.remove(e.experimentId);
    } else if (e.status !== 'running' && e.status !== 'queued') {
      // Paused, cancelled, interrupted, failed: the partial curves stay; no progress is current any more.
      const s = this.load(e.experimentId);
      s.latest = null;
      this.write(s);
    }
  }

  /** The unfinished runs of an experiment, as stored (empty when none). */
  read(experimentId: string): StoredProgress | null {
    try {
      const parsed = JSON.parse(readFileSync(this.file(experimentId), 'utf8')) as StoredProgress;
      if (parsed.experimentId !== experimentId || !Array.isArray(parsed.runs)) return null;
      return parsed;
    } catch {
      return null;
    }
  }

  partialRuns(experimentId: string): PartialRun[] {
    return this.read(experimentId)?.runs ?? [];
  }

  /** Experiment ids with a progress file, and each file's modification time (ms). */
  scan(): Map<string, number> {
    const out = new Map<string, number>();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return out;
    }
    for (const n of names) {
      const m = FILE.exec(n);
      if (!m) continue;
      try {
        out.set(m[1]!, statSync(join(this.dir, n)).mtimeMs);
      } catch {
        // Removed between readdir and stat: the run finished.
      }
    }
    return out;
  }

  remove(experimentId: string): void {
    this.state.delete(experimentId);
    this.lastWrite.delete(experimentId);
    rmSync(this.file(experimentId), { force: true });
  }

  private load(id: string): StoredProgress {
    let s = this.state.get(id);
    if (!s) {
      // Resuming after a restart: continue the curves the last process left.
      s = this.read(id) ?? { experimentId: id, pid: process.pid, latest: null, runs: [] };
      s.pid = process.pid;
      this.state.set(id, s);
    }
    return s;
  }

  private file(id: string): string {
    if (!/^e_[A-Za-z0-9_-]+$/.test(id)) throw new Error(`invalid experiment id ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.json`);
  }

  private write(s: StoredProgress): void {
    this.lastWrite.set(s.experimentId, this.now());
    try {
      mkdirSync(this.dir, { recursive: true });
      const target = this.file(s.experimentId);
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(s));
      renameSync(tmp, target);
    } catch {
      // Progress for other windows is a convenience: a full disk must not stop training.
    }
  }
}
