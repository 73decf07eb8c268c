import { createHash, type Hash } from 'node:crypto';

/**
 * The dataset content hash that experiments record. It is sha256 over the DECOMPRESSED contents of
 * the data files, each preceded by a line with its role and a line with its length:
 *
 *   "lth-dataset-v1\n" then, per file in the loader's fixed order: "<role>\n<byteLength>\n<bytes>"
 *
 * Decompressed, so that MNIST as .gz, as raw files and as the built-in copy hash the same: the hash
 * names the data an experiment saw, not how it was stored. Roles rather than file names, so that
 * Fashion-MNIST's or a renamed copy's names do not matter. Lengths, so that moving records between
 * two files (from train to test, say) changes the hash. Class-name files are not hashed: renaming
 * a class does not change what the network was trained on.
 */
export class ContentHash {
  private readonly h: Hash = createHash('sha256');

  constructor() {
    this.h.update('lth-dataset-v1\n');
  }

  add(role: string, bytes: Uint8Array): void {
    this.h.update(`${role}\n${bytes.length}\n`);
    this.h.update(bytes);
  }

  hex(): string {
    return this.h.digest('hex');
  }
}
