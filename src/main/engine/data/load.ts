import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadCifar10Folder } from './cifar10';
import { describeDataset, type DatasetDescriptor, type DatasetRef, type DatasetSource } from './descriptor';
import { DatasetError } from './errors';
import type { ReadOptions } from './file-bytes';
import { loadIdxFolder } from './idx-folder';
import { BUILTIN_MNIST_ID, BUILTIN_MNIST_NAME, mnistFolder } from './mnist';
import type { ParsedDataset } from './parsed';
import { channelStats } from './stats';
import type { LoadedDataset } from './types';

/** Adds the training-set statistics the engine normalises with. */
export function assembleDataset(id: string, parsed: ParsedDataset): LoadedDataset {
  const { mean, std } = channelStats(parsed.trainImages, parsed.shape[2]);
  return {
    id,
    hash: parsed.hash,
    shape: parsed.shape,
    numClasses: parsed.numClasses,
    classNames: parsed.classNames,
    trainImages: parsed.trainImages,
    trainLabels: parsed.trainLabels,
    testImages: parsed.testImages,
    testLabels: parsed.testLabels,
    mean,
    std,
  };
}

/** Parses (and fully validates) a dataset folder of the given source. */
export function parseDatasetFolder(source: DatasetSource, folder: string, opts: ReadOptions & { name?: string } = {}): ParsedDataset {
  switch (source) {
    case 'builtin':
      return loadIdxFolder(mnistFolder(), { ...opts, name: BUILTIN_MNIST_NAME });
    case 'idx':
      return loadIdxFolder(folder, opts);
    case 'cifar10':
      return loadCifar10Folder(folder, opts);
    default:
      throw new DatasetError(folder, `unknown dataset source ${JSON.stringify(source)}`);
  }
}

// A worker trains on one dataset, two for a transfer; more entries would only pin memory.
const CACHE_LIMIT = 3;
const cache = new Map<string, LoadedDataset>();

/**
 * Loads a dataset from its descriptor, once per process: repeated calls with the same id, source,
 * folder and hash return the same object (treat it as read-only).
 */
export function loadDataset(ref: DatasetRef): LoadedDataset {
  const folder = ref.source === 'builtin' ? mnistFolder() : resolve(ref.folder);
  const key = JSON.stringify([ref.id, ref.source, folder, ref.hash ?? '', ref.name ?? '']);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const parsed = parseDatasetFolder(ref.source, folder, { name: ref.name });
  if (ref.hash && parsed.hash !== ref.hash) {
    throw new DatasetError(folder, `contents changed: the files hash to ${parsed.hash.slice(0, 12)}…, ${ref.hash.slice(0, 12)}… was recorded`);
  }
  const ds = assembleDataset(ref.id, parsed);
  cache.set(key, ds);
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return ds;
}

export function clearDatasetCache(): void {
  cache.clear();
}

/** Total size of the regular files directly in a folder. */
export function folderBytes(folder: string): number {
  let total = 0;
  for (const e of readdirSync(folder, { withFileTypes: true })) {
    if (e.isFile()) total += statSync(join(folder, e.name)).size;
  }
  return total;
}

export const BUILTIN_MNIST_REF: DatasetRef = { id: BUILTIN_MNIST_ID, source: 'builtin', folder: '' };

/** The built-in MNIST as the store records it (loads it, through the cache). */
export function builtinMnistDescriptor(): DatasetDescriptor {
  const ds = loadDataset(BUILTIN_MNIST_REF);
  const folder = mnistFolder();
  return describeDataset(ds, { name: BUILTIN_MNIST_NAME, source: 'builtin', folder, diskBytes: folderBytes(folder) });
}
