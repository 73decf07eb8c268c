import { mixSeed, mulberry32 } from './rng';

const AUGMENT_TAG = 0xa06e7;
/** The padding of the random crop (the standard CIFAR recipe: pad 4, crop back to the image size). */
export const CROP_PADDING = 4;

/**
 * Random crop of the zero-padded image and a left-right flip with probability 1/2, in place on `n` normalised
 * NHWC examples: out = flip(crop(pad(image))), torchvision's RandomCrop(size, 4) then RandomHorizontalFlip.
 * Padding is a black pixel, normalised as every other (`lut[c * 256]`). Example k of iteration `iteration`
 * draws from its own stream of (seed, iteration), so a resumed or packed run sees the same images.
 */
export function augmentBatch(
  pixels: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  seed: number,
  iteration: number,
  lut: Float32Array,
  scratch: Float32Array = new Float32Array(shape[0] * shape[1] * shape[2]),
): void {
  const [h, w, c] = shape;
  const size = h * w * c;
  if (scratch.length < size) throw new RangeError(`augmentBatch: scratch holds ${scratch.length} floats, an example needs ${size}`);
  const rng = mulberry32(mixSeed(seed, AUGMENT_TAG, iteration));
  const span = 2 * CROP_PADDING + 1;
  for (let k = 0; k < n; k++) {
    const dy = rng.int(span) - CROP_PADDING;
    const dx = rng.int(span) - CROP_PADDING;
    const flip = rng.int(2) === 1;
    if (dy === 0 && dx === 0 && !flip) continue;
    const base = k * size;
    scratch.set(pixels.subarray(base, base + size));
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      for (let x = 0; x < w; x++) {
        const sx = (flip ? w - 1 - x : x) + dx;
        const dst = base + (y * w + x) * c;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
          for (let ch = 0; ch < c; ch++) pixels[dst + ch] = lut[ch * 256]!;
        } else {
          const src = (sy * w + sx) * c;
          for (let ch = 0; ch < c; ch++) pixels[dst + ch] = scratch[src + ch]!;
        }
      }
    }
  }
}
