import { existsSync } from 'node:fs';
import { DatasetError } from './errors';
import { readDatasetFile } from './file-bytes';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export const CIFAR10_CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

export function numberedClassNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

// A class-name file is a handful of short lines; anything bigger is not one.
const MAX_NAMES_FILE_BYTES = 64 * 1024;
const MAX_NAME_LENGTH = 100;

/**
 * Reads a file of class names, one per line (classes.txt, CIFAR's batches.meta.txt). Blank lines at
 * the end are ignored (CIFAR's file ends with some); a blank line before a name is an error, since
 * it would silently shift every following name by one class. Returns null if the file is absent.
 */
export function readClassNamesFile(path: string): string[] | null {
  if (!existsSync(path)) return null;
  const bytes = readDatasetFile(path, { maxBytes: MAX_NAMES_FILE_BYTES });
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new DatasetError(path, 'no class names in the file');
  const blank = lines.indexOf('');
  if (blank >= 0) throw new DatasetError(path, `line ${blank + 1} is blank; expected one class name per line`);
  const long = lines.findIndex((l) => l.length > MAX_NAME_LENGTH);
  if (long >= 0) throw new DatasetError(path, `line ${long + 1} is longer than ${MAX_NAME_LENGTH} characters`);
  return lines;
}

export function maxLabel(labels: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > m) m = labels[i]!;
  return m;
}
