import type { Migration } from './types';

/**
 * The training loss per 10 steps of each run (RunResult.trainLossSteps), beside the evaluation curve. Runs stored
 * before it keep NULL: they have only the mean since the previous evaluation.
 */
export const trainLossSteps: Migration = {
  version: 7,
  name: '007_train_loss_steps',
  up(db) {
    db.exec('ALTER TABLE run_curves ADD COLUMN train_loss_steps BLOB');
  },
};
