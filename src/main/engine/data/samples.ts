import type { LoadedDataset } from './types';

/**
 * The first `perClass` examples of each class in a split, as raw HWC uint8 values (what the
 * dataset browser draws). The first ones, not random ones, so the same dataset always shows the
 * same pictures.
 */
export function classSamples(
  ds: LoadedDataset,
  perClass: number,
  split: 'train' | 'test',
): { classIndex: number; className: string; images: number[][] }[] {
  const images = split === 'train' ? ds.trainImages : ds.testImages;
  const labels = split === 'train' ? ds.trainLabels : ds.testLabels;
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const want = Math.max(0, Math.floor(perClass));
  const out = ds.classNames.map((className, classIndex) => ({ classIndex, className, images: [] as number[][] }));
  let missing = want * out.length;
  for (let i = 0; i < labels.length && missing > 0; i++) {
    const bucket = out[labels[i]!];
    if (!bucket || bucket.images.length >= want) continue;
    bucket.images.push(Array.from(images.subarray(i * size, (i + 1) * size)));
    missing--;
  }
  return out;
}
