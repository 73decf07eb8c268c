import { StoreError } from './errors';

/** JSON columns are written only by this store; a parse failure means the file was damaged or hand-edited. */
export function parseJson<T>(text: string | null, what: string): T {
  if (text === null) throw new StoreError(`${what} is missing`, 'corrupt');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StoreError(`${what} is not valid JSON`, 'corrupt');
  }
}

/** SQLite has no NaN: non-finite metrics come back as NULL. Infinity survives, NaN becomes NULL. */
export const num = (v: number | null): number => (v === null ? NaN : v);
export const sqlNum = (v: number): number | null => (Number.isNaN(v) ? null : v);
