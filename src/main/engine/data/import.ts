import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CIFAR10_META_FILE } from './cifar10';
import { describeDataset, type DatasetDescriptor } from './descriptor';
import { DatasetError } from './errors';
import { IDX_CLASSES_FILE } from './idx-folder';
import { assembleDataset, folderBytes, parseDatasetFolder } from './load';
import type { ParsedDataset } from './parsed';

export type ImportKind = 'idx' | 'cifar10';

/** Prefix of the staging folders an import writes in destRoot; a store listing should skip them. */
export const IMPORT_STAGING_PREFIX = '.import-';

const MAX_NAME_LENGTH = 120;

/** A lowercase ASCII slug, for folder ids; never empty, never a path. */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // the accents NFKD split off: 'Été' -> 'ete'
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s || 'dataset';
}

function cleanName(name: string | undefined, fallback: string): string {
  // Display names land in tables and file names of exports: one line, no control characters.
  // eslint-disable-next-line no-control-regex
  const n = (name ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_NAME_LENGTH).trim();
  return n || fallback;
}

/**
 * Imports a dataset folder into the store: destRoot/<id>/ with id = slug(name)-<first 10 hex of the
 * content hash>. Order matters for safety: the source is parsed and validated in full first; then
 * only the loader's known data files are copied (under their canonical names, never names read
 * from disk, so nothing can escape destRoot) into a staging folder in destRoot, parsed again there
 * (the copy must hash as validated), and renamed into place. Any failure removes the staging folder,
 * so destRoot is left as it was. Importing the same data under the same name again returns the
 * existing copy.
 */
export async function importDatasetFolder(kind: ImportKind, srcFolder: string, destRoot: string, name?: string): Promise<DatasetDescriptor> {
  if (kind !== 'idx' && kind !== 'cifar10') throw new DatasetError(srcFolder, `unknown dataset kind ${JSON.stringify(kind)}`);
  const src = resolve(srcFolder);
  const root = resolve(destRoot);
  const fallback = kind === 'cifar10' ? 'CIFAR-10' : basename(src) || 'dataset';
  const displayName = cleanName(name, fallback);
  const parsed = parseDatasetFolder(kind, src, { name: displayName });
  const id = `${slugify(displayName)}-${parsed.hash.slice(0, 10)}`;
  const final = join(root, id);

  if (existsSync(final)) return existingCopy(kind, final, id, displayName, parsed.hash);

  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, `${IMPORT_STAGING_PREFIX}${id}-`));
  try {
    for (const f of parsed.files) await copyFile(f.path, join(staging, f.name));
    await writeFile(join(staging, kind === 'idx' ? IDX_CLASSES_FILE : CIFAR10_META_FILE), parsed.classNames.join('\n') + '\n');
    const copy = parseDatasetFolder(kind, staging, { name: displayName });
    if (copy.hash !== parsed.hash) {
      throw new DatasetError(src, 'the files changed while they were being imported; try again');
    }
    try {
      await rename(staging, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Another import of the same data won the race: theirs is as good as ours.
      if ((code === 'EEXIST' || code === 'ENOTEMPTY') && existsSync(final)) {
        await rm(staging, { recursive: true, force: true });
        return existingCopy(kind, final, id, displayName, parsed.hash);
      }
      throw e;
    }
    return describe(id, displayName, kind, final, copy);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    if (e instanceof DatasetError) throw e;
    const err = e as NodeJS.ErrnoException;
    const detail = err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
    throw new DatasetError(root, `import failed: ${detail}`);
  }
}

function describe(id: string, name: string, kind: ImportKind, folder: string, parsed: ParsedDataset): DatasetDescriptor {
  return describeDataset(assembleDataset(id, parsed), { name, source: kind, folder, diskBytes: folderBytes(folder) });
}

function existingCopy(kind: ImportKind, folder: string, id: string, name: string, hash: string): DatasetDescriptor {
  const parsed = parseDatasetFolder(kind, folder, { name });
  if (parsed.hash !== hash) {
    throw new DatasetError(folder, `already exists in the store with different contents (hash ${parsed.hash.slice(0, 12)}…)`);
  }
  return describe(id, name, kind, folder, parsed);
}

/**
 * Removes staging folders that a killed process left behind (older than `olderThanMs`, so as not to
 * pull one from under an import in progress). Returns how many it removed.
 */
export async function removeStaleImports(destRoot: string, olderThanMs = 60 * 60 * 1000): Promise<number> {
  const root = resolve(destRoot);
  if (!existsSync(root)) return 0;
  let removed = 0;
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory() || !e.name.startsWith(IMPORT_STAGING_PREFIX)) continue;
    const p = join(root, e.name);
    if (Date.now() - (await stat(p)).mtimeMs > olderThanMs) {
      await rm(p, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
