import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeIdxFolder } from '../e2e/helpers';
import { freshHome, json, lth } from './lth';

/**
 * The README's own commands: `datasets import idx FOLDER --name fashion-mnist` makes an id with a hash
 * suffix, and the name works wherever an id does while it is unique.
 */
describe('dataset names stand for their ids', () => {
  const home = freshHome();
  const folder = join(home, 'digits');
  writeIdxFolder(folder, 60, 20);

  it('shows, lists and trains by a unique name; refuses a shared name with the ids to choose from', () => {
    const imported = json(lth(['datasets', 'import', 'idx', folder, '--name', 'fashion-mnist', '--json'], home));
    expect(imported.id).toMatch(/^fashion-mnist-[0-9a-f]+$/);
    const shown = json(lth(['datasets', 'show', 'fashion-mnist', '--json'], home));
    expect(shown.id).toBe(imported.id);
    // Case does not matter for a name.
    expect(json(lth(['datasets', 'show', 'Fashion-MNIST', '--json'], home)).id).toBe(imported.id);

    const run = json(lth(['run', '--preset', 'lenet300-mnist', '--trials', '1', '--controls', 'none', '--dataset', 'fashion-mnist', '--rounds', '2', '--iterations', '4', '--eval-interval', '2', '--validation-size', '10', '--backend', 'wasm', '--json'], home));
    const exp = json(lth(['experiments', 'show', run.experimentId, '--json'], home));
    // The record keeps the id, so a later dataset with the same name cannot change what it means.
    expect(exp.datasetId).toBe(imported.id);
    expect(exp.spec.dataset).toBe(imported.id);

    // The README's `tickets retrain --dataset fashion-mnist`.
    const ticket = json(lth(['tickets', 'save', run.experimentId, '--round', '1', '--json'], home));
    const retrained = json(lth(['tickets', 'retrain', ticket.id, '--dataset', 'fashion-mnist', '--iterations', '4', '--controls', 'reinit', '--json'], home));
    expect(json(lth(['experiments', 'show', retrained.experimentId, '--json'], home)).datasetId).toBe(imported.id);

    const unknown = lth(['datasets', 'show', 'no-such-set'], home);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/no dataset has that id or name/);

    const other = join(home, 'digits-2');
    writeIdxFolder(other, 70, 20);
    const second = json(lth(['datasets', 'import', 'idx', other, '--name', 'fashion-mnist', '--json'], home));
    expect(second.id).not.toBe(imported.id);
    const shared = lth(['datasets', 'show', 'fashion-mnist'], home);
    expect(shared.status).not.toBe(0);
    expect(shared.stderr).toContain(imported.id);
    expect(shared.stderr).toContain(second.id);
    // An id still works.
    expect(json(lth(['datasets', 'show', second.id, '--json'], home)).id).toBe(second.id);
  });
});
