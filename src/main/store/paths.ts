import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StoreError } from './errors';

/** Must equal package.json productName: Electron's app.getPath('userData') is <appData>/<productName>. */
export const PRODUCT_NAME = 'LTH Lab';
export const DB_FILE_NAME = 'lth.sqlite';

export interface LocationEnv {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * The data directory shared by the CLI and the desktop app. It mirrors Electron's userData path so that both
 * front doors see the same experiments without the CLI having to load Electron.
 */
export function dataDir(loc: LocationEnv = {}): string {
  const env = loc.env ?? process.env;
  const platform = loc.platform ?? process.platform;
  const home = loc.home ?? homedir();
  if (env.LTH_HOME) return resolve(env.LTH_HOME);
  switch (platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', PRODUCT_NAME);
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
    default:
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), PRODUCT_NAME);
  }
}

/** Explicit option > LTH_DB > <dataDir>/lth.sqlite. */
export function databasePath(explicit?: string, loc: LocationEnv = {}): string {
  const env = loc.env ?? process.env;
  if (explicit) return resolve(explicit);
  if (env.LTH_DB) return resolve(env.LTH_DB);
  return join(dataDir(loc), DB_FILE_NAME);
}

export function datasetsDir(dir: string): string {
  return join(dir, 'datasets');
}

/**
 * Throws one line naming `dir` when it cannot be created: checks the nearest existing ancestor, so callers can
 * check every path before creating any (mkdir -p could otherwise leave a half-built chain behind).
 */
export function checkCreatable(dir: string, what = 'data directory'): void {
  const target = resolve(dir);
  let probe = target;
  for (;;) {
    if (existsSync(probe)) break;
    const parent = dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  let st;
  try {
    st = statSync(probe);
  } catch (e) {
    throw new StoreError(`cannot create ${what} ${target}: ${(e as Error).message}`, 'path');
  }
  if (!st.isDirectory()) {
    const where = probe === target ? 'it exists and is not a directory' : `${probe} is not a directory`;
    throw new StoreError(`cannot create ${what} ${target}: ${where}`, 'path');
  }
}

/** Creates `dir` and missing parents, or throws one line naming it (creating nothing). */
export function ensureDirectory(dir: string, what = 'data directory'): void {
  checkCreatable(dir, what);
  const target = resolve(dir);
  if (existsSync(target)) return;
  try {
    mkdirSync(target, { recursive: true });
  } catch (e) {
    throw new StoreError(`cannot create ${what} ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'path');
  }
}
