import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeBackend, TFJS_VERSION } from '../engine/backend';
import { BUILTIN_MNIST_REF, loadDataset } from '../engine/data';
import { inlineExecutor } from '../engine/executor';
import { runImp } from '../engine/imp';
import { planNetwork } from '../engine/network';
import { emptyResumeState } from '../engine/types';
import { ensureBuiltinDatasets } from '../services/datasets';
import { LTH_LAB_VERSION } from '../services/version';
import { openStore } from '../store';
import { benchSpec } from './networks';
import { median } from './stats';

export interface ImpRoundResult {
  backend: string;
  iterations: number;
  evalInterval: number;
  validationSize: number;
  /** Round 1 of LeNet-300-100: prune round 0's weights by magnitude, rewind, train, evaluate, store. */
  roundMs: number;
  /** Round 0 (dense training, no pruning) for reference. */
  round0Ms: number;
}

export interface TicketTimes {
  n: number;
  saveMs: number;
  loadMs: number;
  saveMsMax: number;
  loadMsMax: number;
}

/**
 * A 2-round LeNet-300-100 IMP experiment in a temporary store through the engine's runImp and the store's
 * sink, as `lth run` does inline; then saving and loading its round-1 ticket `tickets` times.
 */
export async function impRoundAndTickets(opts: { iterations: number; tickets: number }): Promise<{ imp: ImpRoundResult; tickets: TicketTimes }> {
  const home = mkdtempSync(join(tmpdir(), 'lth-bench-'));
  const store = openStore({ dataDir: home, dbPath: join(home, 'lth.sqlite') });
  try {
    ensureBuiltinDatasets(store);
    const spec = benchSpec('lenet300', { iterations: opts.iterations, rounds: 2, evalInterval: 100, validationSize: 5000 });
    const data = loadDataset({ ...BUILTIN_MNIST_REF, hash: store.datasets.get('mnist').hash });
    const plan = planNetwork(spec.network, data.shape, data.numClasses);
    const e = store.experiments.create({ spec, datasetHash: data.hash, versions: { lthLab: LTH_LAB_VERSION, tfjs: TFJS_VERSION }, layers: plan.layers, status: 'running' });
    const done: number[] = [];
    const t0 = performance.now();
    await runImp({ spec, data, executor: inlineExecutor(data), sink: store.sinkFor(e.id), resume: emptyResumeState(), onRun: () => done.push(performance.now()) });
    const imp: ImpRoundResult = {
      backend: activeBackend()?.name ?? 'unknown',
      iterations: opts.iterations,
      evalInterval: 100,
      validationSize: 5000,
      round0Ms: Math.round(done[0]! - t0),
      roundMs: Math.round(done[1]! - done[0]!),
    };
    const save: number[] = [];
    const load: number[] = [];
    for (let i = 0; i < opts.tickets; i++) {
      const a = performance.now();
      const t = store.tickets.save(e.id, 0, 1, `bench ticket ${i}`);
      const b = performance.now();
      const loaded = store.tickets.load(t.id);
      const c = performance.now();
      if (loaded.mask.length !== plan.layers.length) throw new Error('bench: the loaded ticket has the wrong layers');
      save.push(b - a);
      load.push(c - b);
    }
    const r = (x: number) => Number(x.toFixed(2));
    return { imp, tickets: { n: opts.tickets, saveMs: r(median(save)), loadMs: r(median(load)), saveMsMax: r(Math.max(...save)), loadMsMax: r(Math.max(...load)) } };
  } finally {
    store.close();
    rmSync(home, { recursive: true, force: true });
  }
}
