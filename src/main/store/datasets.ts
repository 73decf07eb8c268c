import type { DatasetInfo } from '../../shared/results';
import type { Db } from './db';
import { notFound, StoreError } from './errors';
import { nowIso } from './ids';
import { parseJson } from './json';

interface DatasetRow {
  id: string;
  name: string;
  source: DatasetInfo['source'];
  folder: string | null;
  hash: string;
  shape: string;
  num_classes: number;
  class_names: string;
  train_count: number;
  test_count: number;
  train_class_counts: string;
  test_class_counts: string;
  disk_bytes: number;
  created_at: string;
}

export interface NewDataset extends Omit<DatasetInfo, 'createdAt' | 'diskBytes'> {
  /** Where the dataset's files live (under <dataDir>/datasets/ for imports; null for the built-in one). */
  folder: string | null;
  /** Bytes of the dataset's files on disk. */
  diskBytes?: number;
}

const ID = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

export class DatasetRepo {
  constructor(private readonly db: Db) {}

  /** Inserts or replaces by id (re-importing a dataset refreshes its facts; experiments keep their own hash). */
  put(d: NewDataset): DatasetInfo {
    if (!ID.test(d.id)) throw new StoreError(`invalid dataset id ${JSON.stringify(d.id)}: use lowercase letters, digits, _ . -`);
    if (d.classNames.length !== d.numClasses || d.trainClassCounts.length !== d.numClasses || d.testClassCounts.length !== d.numClasses) {
      throw new StoreError(`dataset ${d.id}: class names and counts must have numClasses (${d.numClasses}) entries`);
    }
    const existing = this.db.prepare('SELECT created_at FROM datasets WHERE id = ?').get(d.id) as { created_at: string } | undefined;
    this.db
      .prepare(
        `INSERT OR REPLACE INTO datasets (id, name, source, folder, hash, shape, num_classes, class_names, train_count, test_count,
           train_class_counts, test_class_counts, disk_bytes, created_at)
         VALUES (@id, @name, @source, @folder, @hash, @shape, @num_classes, @class_names, @train_count, @test_count,
           @train_class_counts, @test_class_counts, @disk_bytes, @created_at)`,
      )
      .run({
        id: d.id,
        name: d.name,
        source: d.source,
        folder: d.folder,
        hash: d.hash,
        shape: JSON.stringify(d.shape),
        num_classes: d.numClasses,
        class_names: JSON.stringify(d.classNames),
        train_count: d.trainCount,
        test_count: d.testCount,
        train_class_counts: JSON.stringify(d.trainClassCounts),
        test_class_counts: JSON.stringify(d.testClassCounts),
        disk_bytes: d.diskBytes ?? 0,
        created_at: existing?.created_at ?? nowIso(),
      });
    return this.get(d.id);
  }

  find(id: string): DatasetInfo | null {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
    return row ? toInfo(row) : null;
  }

  get(id: string): DatasetInfo {
    const d = this.find(id);
    if (!d) throw notFound('dataset', id);
    return d;
  }

  /**
   * An id, or a name that only one dataset has (case-insensitive): `fashion-mnist` finds the import
   * whose id is `fashion-mnist-f2d09eabce`. A name two datasets share is refused with their ids.
   */
  resolve(idOrName: string): DatasetInfo {
    const exact = this.find(idOrName);
    if (exact) return exact;
    const wanted = idOrName.trim().toLowerCase();
    const named = this.list().filter((d) => d.name.toLowerCase() === wanted);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) {
      throw new StoreError(`dataset name '${idOrName}' is shared by ${named.length} datasets: use one of their ids (${named.map((d) => d.id).join(', ')})`, 'conflict');
    }
    const known = this.list().map((d) => (d.name === d.id ? d.id : `${d.id} (${d.name})`)).join(', ');
    throw new StoreError(`dataset '${idOrName}' not found: no dataset has that id or name (known: ${known || 'none'}); import one with: lth datasets import idx|cifar10 FOLDER`, 'not-found');
  }

  /**
   * The dataset a spec names (an id or a unique name, as resolve), and the spec recording its id: what every front
   * door stores (a local run, `--on slurm`, the window), so a later import with the same name cannot change it.
   */
  resolveSpec<S extends { dataset: string }>(spec: S): { spec: S; dataset: DatasetInfo } {
    const dataset = this.resolve(spec.dataset);
    return { spec: { ...spec, dataset: dataset.id }, dataset };
  }

  folder(id: string): string | null {
    const row = this.db.prepare('SELECT folder FROM datasets WHERE id = ?').get(id) as { folder: string | null } | undefined;
    if (!row) throw notFound('dataset', id);
    return row.folder;
  }

  list(): DatasetInfo[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY created_at, id').all() as DatasetRow[]).map(toInfo);
  }

  /** Refuses while experiments use it: their results would lose the data they were measured on. */
  delete(id: string): void {
    const used = this.db.prepare('SELECT COUNT(*) AS n FROM experiments WHERE dataset_id = ?').get(id) as { n: number };
    if (used.n > 0) throw new StoreError(`dataset ${id} is used by ${used.n} experiment(s): delete them first`, 'conflict');
    const r = this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
    if (r.changes === 0) throw notFound('dataset', id);
  }
}

function toInfo(r: DatasetRow): DatasetInfo {
  const what = `dataset ${r.id}`;
  return {
    id: r.id,
    name: r.name,
    source: r.source,
    shape: parseJson<[number, number, number]>(r.shape, `${what} shape`),
    numClasses: r.num_classes,
    classNames: parseJson<string[]>(r.class_names, `${what} class names`),
    trainCount: r.train_count,
    testCount: r.test_count,
    trainClassCounts: parseJson<number[]>(r.train_class_counts, `${what} train class counts`),
    testClassCounts: parseJson<number[]>(r.test_class_counts, `${what} test class counts`),
    hash: r.hash,
    createdAt: r.created_at,
    diskBytes: r.disk_bytes,
  };
}
