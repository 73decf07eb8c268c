import type { LabEvent } from '../../shared/events';
import type { ExperimentStatus } from '../../shared/results';
import type { Store } from '../store';

/** Runs one experiment to a stop: inline (this process) or in a worker process. */
export type Runner = (
  experimentId: string,
  control: { signal: AbortSignal; stopStatus: () => ExperimentStatus; onEvent: (e: LabEvent) => void },
) => Promise<ExperimentStatus>;

interface Current {
  id: string;
  controller: AbortController;
  stopAs: ExperimentStatus;
  /** Resume was asked while it was still stopping: queue it again once it has stopped. */
  again?: boolean;
}

/**
 * Experiments run one at a time (each may use every core for its own variants and trials); the rest wait
 * in order. Pause and cancel stop the running one at once; everything it finished is already stored.
 */
export class ExperimentQueue {
  private readonly pending: string[] = [];
  private current: Current | null = null;
  private readonly waiters = new Map<string, ((s: ExperimentStatus) => void)[]>();

  constructor(
    private readonly store: Store,
    private readonly runner: Runner,
    private readonly emit: (e: LabEvent) => void,
  ) {}

  get runningId(): string | null {
    return this.current?.id ?? null;
  }

  has(id: string): boolean {
    return this.current?.id === id || this.pending.includes(id);
  }

  enqueue(id: string): void {
    // Pause then Resume within the second a run takes to checkpoint and stop: the Resume must not be lost.
    if (this.current?.id === id && this.current.controller.signal.aborted) {
      this.current.again = true;
      return;
    }
    if (this.has(id)) return;
    // Owned from now on: if this process dies before the experiment starts, others see it interrupted.
    this.store.experiments.setQueued(id, process.pid);
    this.emit({ type: 'status', experimentId: id, status: 'queued', error: null });
    this.pending.push(id);
    // Deferred so the caller (an IPC handler, a WebSocket message) gets its answer before training starts.
    setImmediate(() => this.pump());
  }

  /** Stops `id` as `status` ('paused', 'cancelled', 'interrupted'); a waiting one never starts. */
  stop(id: string, status: ExperimentStatus): boolean {
    if (this.current?.id === id) {
      this.current.stopAs = status;
      this.current.controller.abort();
      return true;
    }
    const at = this.pending.indexOf(id);
    if (at < 0) return false;
    this.pending.splice(at, 1);
    this.store.experiments.setStatus(id, status);
    this.emit({ type: 'status', experimentId: id, status, error: null });
    this.settle(id, status);
    return true;
  }

  /** Interrupts the running experiment (Ctrl-C, quitting); waiting ones stay queued for the next start. */
  async interruptAll(): Promise<void> {
    const running = this.current;
    // Released, not abandoned: the next window or server picks them up.
    for (const id of this.pending) this.store.experiments.setQueued(id, null);
    this.pending.length = 0;
    if (!running) return;
    const done = this.waitFor(running.id);
    this.stop(running.id, 'interrupted');
    await done;
  }

  waitFor(id: string): Promise<ExperimentStatus> {
    if (!this.has(id)) return Promise.resolve(this.store.experiments.get(id).status);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  private settle(id: string, status: ExperimentStatus): void {
    for (const resolve of this.waiters.get(id) ?? []) resolve(status);
    this.waiters.delete(id);
  }

  private pump(): void {
    if (this.current || this.pending.length === 0) return;
    const id = this.pending.shift()!;
    const current: Current = { id, controller: new AbortController(), stopAs: 'interrupted' };
    this.current = current;
    this.runner(id, { signal: current.controller.signal, stopStatus: () => current.stopAs, onEvent: this.emit })
      .catch((err: unknown) => {
        const message = (err as Error).message ?? String(err);
        this.store.experiments.setStatus(id, 'failed', message);
        this.emit({ type: 'status', experimentId: id, status: 'failed', error: message });
        return 'failed' as ExperimentStatus;
      })
      .then((status) => {
        this.current = null;
        this.settle(id, status);
        if (current.again && status !== 'completed' && status !== 'failed') this.enqueue(id);
        this.pump();
      });
  }
}
