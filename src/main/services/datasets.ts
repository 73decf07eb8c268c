import { BUILTIN_MNIST_ID, builtinMnistDescriptor, classSamples, importDatasetFolder, loadDataset, removeStaleImports } from '../engine/data';
import type { DatasetRef } from '../engine/data';
import type { LoadedDataset } from '../engine/data/types';
import type { Store } from '../store';
import type { DatasetInfo } from '../../shared/results';
import type { DatasetSamples } from './types';

/** The built-in MNIST is recorded once per database, so every front door lists it with its hash. */
export function ensureBuiltinDatasets(store: Store): void {
  if (store.datasets.find(BUILTIN_MNIST_ID)) return;
  const d = builtinMnistDescriptor();
  store.datasets.put({ ...d, folder: null });
}

/** The dataset an id or a unique name stands for (CLI flags, specs, requests): the id is what gets recorded. */
export function resolveDatasetId(store: Store, idOrName: string): string {
  return store.datasets.resolve(idOrName).id;
}

export function datasetRef(store: Store, id: string, hash?: string): DatasetRef {
  const info = store.datasets.get(id);
  return { id, source: info.source, folder: store.datasets.folder(id) ?? '', hash: hash ?? info.hash, name: info.name };
}

export function loadStoredDataset(store: Store, id: string, hash?: string): LoadedDataset {
  return loadDataset(datasetRef(store, id, hash));
}

export async function importDataset(store: Store, kind: 'idx' | 'cifar10', folder: string, name?: string): Promise<DatasetInfo> {
  await removeStaleImports(store.datasetsDir);
  const d = await importDatasetFolder(kind, folder, store.datasetsDir, name);
  return store.datasets.put(d);
}

export function datasetSamples(store: Store, idOrName: string, perClass: number, split: 'train' | 'test'): DatasetSamples {
  const id = resolveDatasetId(store, idOrName);
  const ds = loadStoredDataset(store, id);
  return { datasetId: id, split, shape: ds.shape, classes: classSamples(ds, Math.min(64, Math.max(1, perClass)), split) };
}
