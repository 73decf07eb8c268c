/**
 * The data layer's public surface: loading, importing and batching datasets.
 *
 * Decisions other layers rely on:
 * - Every problem with files on disk throws DatasetError, whose message is one line for the user.
 * - No file above MAX_DATASET_FILE_BYTES (2 GiB, after gunzip) is read (file-bytes.ts).
 * - The content hash is over decompressed data, so .gz and raw copies agree (hash.ts).
 * - Class names: classes.txt / batches.meta.txt when present, else digits (IDX; the Fashion-MNIST
 *   names when the dataset's name contains "fashion") or the CIFAR-10 names. An import writes the
 *   names file into the store, so a stored dataset always reloads with the names it was imported with.
 * - Parsing is synchronous (a few hundred ms for MNIST): keep it off a UI thread.
 */
export { DatasetError, isDatasetError } from './errors';
export { MAX_DATASET_FILE_BYTES, readDatasetFile } from './file-bytes';
export { parseIdxImages, parseIdxLabels, readIdxImages, readIdxLabels, encodeIdx, type IdxImages, type IdxLabels } from './idx';
export { loadIdxFolder, findIdxFiles, IDX_ROLES, IDX_CLASSES_FILE, type IdxFolderOptions } from './idx-folder';
export { loadCifar10Folder, parseCifarBatch, encodeCifarBatch, CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE, CIFAR10_META_FILE } from './cifar10';
export { FASHION_MNIST_CLASSES, CIFAR10_CLASSES } from './class-names';
export { mnistFolder, BUILTIN_MNIST_ID, BUILTIN_MNIST_NAME } from './mnist';
export { assembleDataset, parseDatasetFolder, loadDataset, clearDatasetCache, builtinMnistDescriptor, BUILTIN_MNIST_REF } from './load';
export { describeDataset, type DatasetDescriptor, type DatasetRef, type DatasetSource } from './descriptor';
export { importDatasetFolder, removeStaleImports, slugify, IMPORT_STAGING_PREFIX, type ImportKind } from './import';
export { splitTrainValidation, exampleOrder, fillBatch, normalizationTable, splitNormalizationTable, type BatchOrder } from './batches';
export { mulberry32, mixSeed, shuffleInPlace, permutation, type Rng } from './rng';
export { channelStats, channelStatsOf, classCounts } from './stats';
export { classSamples } from './samples';
export type { ParsedDataset } from './parsed';
export type { LoadedDataset } from './types';
