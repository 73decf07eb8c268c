import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshHome, json, lth } from './lth';

const FASHION = '/usr/share/datasets/fashion-mnist';
const QUICK = ['--preset', 'lenet300-mnist', '--trials', '1', '--rounds', '2', '--iterations', '100', '--eval-interval', '50', '--backend', 'wasm'];

describe('tickets from the command line', () => {
  const home = freshHome();

  it('trains the same results with one process or a pool of two', () => {
    const one = json(lth(['--workers', '1', 'run', ...QUICK, '--controls', 'reinit', '--json'], home));
    const two = json(lth(['--workers', '2', 'run', ...QUICK, '--controls', 'reinit', '--json'], home));
    expect(two.results).toEqual(one.results);
    expect(two.results).toHaveLength(3);
  });

  it('re-runs a spec that `experiments show --json` printed and reproduces its results exactly', () => {
    const [exp] = json(lth(['experiments', 'list', '--json'], home));
    const shown = lth(['experiments', 'show', exp.id, '--json'], home);
    const file = join(home, 'spec.json');
    require('node:fs').writeFileSync(file, shown.stdout);
    const original = json(lth(['experiments', 'show', exp.id, '--json'], home));
    const rerun = json(lth(['run', '--spec', file, '--backend', 'wasm', '--json'], home));
    const again = json(lth(['experiments', 'show', rerun.experimentId, '--json'], home));
    expect(again.specHash).toBe(original.specHash);
    const strip = (runs: any[]) => runs.map(({ durationMs: _d, ...r }: any) => r);
    expect(strip(again.runs)).toEqual(strip(original.runs));
  });

  it('saves, exports as a TensorFlow.js model folder, and imports a ticket back bit for bit', () => {
    const [exp] = json(lth(['experiments', 'list', '--json'], home));
    const saved = json(lth(['tickets', 'save', exp.id, '--round', '1', '--name', 'round one', '--json'], home));
    expect(saved.weightsRemaining).toBeCloseTo(0.8, 2);
    const out = join(home, 'exported');
    json(lth(['tickets', 'export', saved.id, '--out', out, '--json'], home));
    expect(readdirSync(out).sort()).toEqual(expect.arrayContaining(['mask.bin', 'model.json', 'rewind.bin', 'ticket.json', 'weights.bin']));
    const updated = json(lth(['tickets', 'update', saved.id, '--tags', 'lenet,keep', '--notes', 'first try', '--json'], home));
    expect(updated.tags).toEqual(['lenet', 'keep']);

    const other = freshHome();
    const imported = json(lth(['tickets', 'import', out, '--json'], other));
    expect(imported.weightsRemaining).toBe(saved.weightsRemaining);
    expect(imported.layerDensity).toEqual(saved.layerDensity);
    const again = join(other, 'again');
    json(lth(['tickets', 'export', imported.id, '--out', again, '--json'], other));
    for (const f of ['mask.bin', 'rewind.bin', 'weights.bin']) {
      expect(require('node:fs').readFileSync(join(again, f))).toEqual(require('node:fs').readFileSync(join(out, f)));
    }
  });

  it('refuses to export into a folder that is not empty', () => {
    const [t] = json(lth(['tickets', 'list', '--json'], home));
    const r = lth(['tickets', 'export', t.id, '--out', join(home, 'exported')], home);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.skipIf(!existsSync(FASHION))('transfers a MNIST ticket to Fashion-MNIST with its controls, linked to the ticket', () => {
    const fashion = json(lth(['datasets', 'import', 'idx', FASHION, '--name', 'fashion-mnist', '--json'], home));
    expect(fashion.classNames[0]).toBe('T-shirt/top');
    const [t] = json(lth(['tickets', 'list', '--json'], home));
    const out = json(lth(['tickets', 'retrain', t.id, '--dataset', fashion.id, '--iterations', '100', '--controls', 'reinit,random', '--json'], home));
    expect(out.status).toBe('completed');
    expect(out.results.map((r: any) => r.variant).sort()).toEqual(['random', 'reinit', 'ticket']);
    for (const r of out.results) expect(r.weightsRemaining).toBeCloseTo(t.weightsRemaining, 6);
    const detail = json(lth(['experiments', 'show', out.experimentId, '--json'], home));
    expect(detail.sourceTicketId).toBe(t.id);
    expect(detail.datasetId).toBe(fashion.id);
    // Better than chance on a 10-class problem after 100 iterations.
    expect(out.results.find((r: any) => r.variant === 'ticket').testAccuracy).toBeGreaterThan(0.5);
  });
});
