import { canonicalJson, sha256Hex } from '../ids';
import type { Migration } from './types';

/**
 * Engine version 2 changed how trial seeds are derived and which images the normalisation statistics come
 * from. Specs stored before it carry no version: they are marked version 1, so resuming or re-running them
 * reproduces what they were, and their spec hash now names the version, so old and new results never mix.
 */
export const engineVersion: Migration = {
  version: 3,
  name: '003_engine_version',
  up(db) {
    for (const table of ['experiments', 'tickets'] as const) {
      const rows = db.prepare(`SELECT id, spec FROM ${table}`).all() as { id: string; spec: string }[];
      const update = db.prepare(`UPDATE ${table} SET spec = ?, spec_hash = ? WHERE id = ?`);
      for (const row of rows) {
        const spec = JSON.parse(row.spec) as Record<string, unknown>;
        if (spec.engineVersion !== undefined) continue;
        spec.engineVersion = 1;
        const pruning = spec.pruning as Record<string, unknown> | undefined;
        if (pruning && pruning.reinitStart === undefined) pruning.reinitStart = 'rewind';
        update.run(JSON.stringify(spec), sha256Hex(canonicalJson(spec)), row.id);
      }
    }
  },
};
