import type { Migration } from './types';

/**
 * Experiments become first-class records like tickets: free-form notes and tags, edited in the window
 * (search and grouping use them). The name was already a column. Existing experiments get empty ones.
 */
export const experimentRecords: Migration = {
  version: 6,
  name: '006_experiment_records',
  up(db) {
    db.exec(`
      ALTER TABLE experiments ADD COLUMN notes TEXT NOT NULL DEFAULT '';
      ALTER TABLE experiments ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    `);
  },
};
