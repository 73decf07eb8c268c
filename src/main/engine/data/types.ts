/**
 * A dataset in memory, as the engine consumes it. Images are uint8 in NHWC order (for CIFAR-10,
 * whose files store planes CHW, the loader converts). The engine normalises per channel with
 * `mean`/`std` (computed on the training images scaled to [0, 1]) when it builds batches.
 */
export interface LoadedDataset {
  id: string;
  /** sha256 (hex) over the dataset's files' contents, in a fixed order. */
  hash: string;
  /** [height, width, channels] */
  shape: [number, number, number];
  numClasses: number;
  classNames: string[];
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
  /** Per-channel mean and std of training pixels scaled to [0, 1]. */
  mean: number[];
  std: number[];
}
