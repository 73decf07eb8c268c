/**
 * What a folder loader hands to assembly: validated arrays and the content hash, before statistics.
 * `files` lists the data files an import must copy: `name` is the name the file gets in the store
 * (always one of the loader's known names, never a name read from disk), `path` where it is now.
 * Class-name files are not listed: an import writes its own from `classNames`.
 */
export interface ParsedDataset {
  shape: [number, number, number];
  numClasses: number;
  classNames: string[];
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
  hash: string;
  files: { name: string; path: string }[];
}
