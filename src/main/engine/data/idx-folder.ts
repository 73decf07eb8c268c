import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FASHION_MNIST_CLASSES, maxLabel, numberedClassNames, readClassNamesFile } from './class-names';
import { DatasetError } from './errors';
import { readDatasetFile, type ReadOptions } from './file-bytes';
import { ContentHash } from './hash';
import { parseIdxImages, parseIdxLabels, type IdxImages, type IdxLabels } from './idx';
import type { ParsedDataset } from './parsed';

/**
 * An MNIST-format folder: the four files of MNIST (and Fashion-MNIST, which uses the same names),
 * each raw or gzip. The canonical name comes first; the dotted variant is how some mirrors
 * (Kaggle) name them. A raw file wins over its .gz when both are there.
 */
export const IDX_ROLES = [
  { role: 'train-images', names: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'] },
  { role: 'train-labels', names: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'] },
  { role: 't10k-images', names: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'] },
  { role: 't10k-labels', names: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'] },
] as const;

/** Optional, one class name per line; it wins over any default. */
export const IDX_CLASSES_FILE = 'classes.txt';

export type IdxRole = (typeof IDX_ROLES)[number]['role'];

export interface IdxFolderOptions extends ReadOptions {
  /**
   * The dataset's display name. Without classes.txt, class names are '0', '1', ...; if this name
   * (or, when absent, the folder's name) contains "fashion", the ten Fashion-MNIST names.
   */
  name?: string;
}

export interface FoundFile {
  role: IdxRole;
  path: string;
  /** The name the file gets when imported: the canonical name, plus .gz if it is stored gzipped. */
  storeName: string;
}

export function findIdxFiles(folder: string): FoundFile[] {
  const dir = resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(dir, 'not a folder');
  const found: FoundFile[] = [];
  const missing: string[] = [];
  for (const { role, names } of IDX_ROLES) {
    let hit: FoundFile | null = null;
    for (const suffix of ['', '.gz']) {
      for (const n of names) {
        const p = join(dir, n + suffix);
        if (!hit && existsSync(p)) hit = { role, path: p, storeName: names[0] + suffix };
      }
    }
    if (hit) found.push(hit);
    else missing.push(`${names[0]}[.gz]`);
  }
  if (missing.length > 0) {
    throw new DatasetError(dir, `not an MNIST-format folder: missing ${missing.join(', ')}`);
  }
  return found;
}

export function loadIdxFolder(folder: string, opts: IdxFolderOptions = {}): ParsedDataset {
  const dir = resolve(folder);
  const files = findIdxFiles(dir);
  const hash = new ContentHash();
  const byRole = new Map<IdxRole, { file: FoundFile; parsed: IdxImages | IdxLabels }>();
  for (const f of files) {
    const bytes = readDatasetFile(f.path, opts);
    const parsed = f.role.endsWith('images') ? parseIdxImages(bytes, f.path, opts.maxBytes) : parseIdxLabels(bytes, f.path, opts.maxBytes);
    hash.add(f.role, bytes);
    byRole.set(f.role, { file: f, parsed });
  }
  const get = <T extends IdxImages | IdxLabels>(role: IdxRole): { file: FoundFile; parsed: T } =>
    byRole.get(role) as { file: FoundFile; parsed: T };
  const trainImages = get<IdxImages>('train-images');
  const trainLabels = get<IdxLabels>('train-labels');
  const testImages = get<IdxImages>('t10k-images');
  const testLabels = get<IdxLabels>('t10k-labels');

  for (const [imgs, labels] of [[trainImages, trainLabels], [testImages, testLabels]] as const) {
    if (imgs.parsed.count !== labels.parsed.count) {
      throw new DatasetError(labels.file.path, `${labels.parsed.count} labels but ${basename(imgs.file.path)} has ${imgs.parsed.count} images`);
    }
  }
  const tr = trainImages.parsed;
  const te = testImages.parsed;
  if (tr.rows !== te.rows || tr.cols !== te.cols) {
    throw new DatasetError(testImages.file.path, `images are ${te.rows}x${te.cols} but the training images are ${tr.rows}x${tr.cols}`);
  }

  const labelMax = Math.max(maxLabel(trainLabels.parsed.data), maxLabel(testLabels.parsed.data));
  const namesPath = join(dir, IDX_CLASSES_FILE);
  const listed = readClassNamesFile(namesPath);
  let classNames: string[];
  if (listed) {
    if (listed.length < labelMax + 1) {
      throw new DatasetError(namesPath, `names ${listed.length} classes but the labels go up to ${labelMax}`);
    }
    if (listed.length < 2) throw new DatasetError(namesPath, 'names fewer than 2 classes');
    classNames = listed;
  } else if ((opts.name ?? basename(dir)).toLowerCase().includes('fashion') && labelMax < FASHION_MNIST_CLASSES.length) {
    classNames = [...FASHION_MNIST_CLASSES];
  } else {
    classNames = numberedClassNames(Math.max(2, labelMax + 1));
  }

  return {
    shape: [tr.rows, tr.cols, 1],
    numClasses: classNames.length,
    classNames,
    trainImages: tr.data,
    trainLabels: trainLabels.parsed.data,
    testImages: te.data,
    testLabels: testLabels.parsed.data,
    hash: hash.hex(),
    files: files.map((f) => ({ name: f.storeName, path: f.path })),
  };
}
