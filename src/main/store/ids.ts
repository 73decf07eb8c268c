import { createHash, randomBytes } from 'node:crypto';

// Crockford's base32 without i, l, o, u: ids are read aloud and typed on the CLI.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `prefix` + 10 base32 characters (50 random bits): short enough to type, collisions checked by PRIMARY KEY. */
export function newId(prefix: 'e_' | 't_'): string {
  const bytes = randomBytes(10);
  let s = prefix;
  for (const b of bytes) s += ALPHABET[b & 31];
  return s;
}

/**
 * JSON with object keys sorted at every level and undefined members dropped, so that the same spec always
 * hashes the same whatever order its fields were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function specHash(spec: unknown): string {
  return sha256Hex(canonicalJson(spec));
}

export const nowIso = (): string => new Date().toISOString();
