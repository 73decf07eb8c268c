import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SlurmProfileSchema, type SlurmProfile } from '../../shared/slurm';
import { formatIssues } from '../../shared/spec';

export { SlurmProfileSchema, type SlurmProfile } from '../../shared/slurm';

export class SlurmProfileError extends Error {
  override name = 'SlurmProfileError';
}

export function profilesFile(dataDir: string): string {
  return join(dataDir, 'slurm-profiles.json');
}

/** `ref` is a JSON file (a path, or a name ending in .json) or a profile name in <dataDir>/slurm-profiles.json. */
export function loadProfile(ref: string, dataDir: string): SlurmProfile {
  const asFile = ref.endsWith('.json') || ref.includes('/') || ref.includes('\\');
  if (asFile) {
    const file = resolve(ref);
    return parseProfile(readJson(file), `slurm profile ${file}`);
  }
  const file = profilesFile(dataDir);
  if (!existsSync(file)) throw new SlurmProfileError(`slurm profile '${ref}': ${file} does not exist (write { "${ref}": { "partition": "gpu", ... } } there, or pass a JSON file)`);
  const all = readJson(file);
  if (typeof all !== 'object' || all === null || Array.isArray(all)) throw new SlurmProfileError(`${file} must hold one object of profiles by name`);
  const p = (all as Record<string, unknown>)[ref];
  if (p === undefined) throw new SlurmProfileError(`slurm profile '${ref}' is not in ${file} (it has: ${Object.keys(all).join(', ') || 'none'})`);
  return parseProfile(p, `slurm profile '${ref}' in ${file}`);
}

export function parseProfile(value: unknown, where: string): SlurmProfile {
  const r = SlurmProfileSchema.safeParse(value);
  if (!r.success) throw new SlurmProfileError(`${where}: ${formatIssues(r.error).replace(/\n/g, '; ')}`);
  return r.data;
}

/** Later wins, field by field; sbatch and setup lines add up. */
export function mergeProfiles(...ps: (SlurmProfile | undefined)[]): SlurmProfile {
  const out: SlurmProfile = {};
  for (const p of ps) {
    if (!p) continue;
    for (const [k, v] of Object.entries(p) as [keyof SlurmProfile, unknown][]) {
      if (v === undefined) continue;
      if (k === 'sbatch' || k === 'setup') out[k] = [...(out[k] ?? []), ...(v as string[])];
      else (out as Record<string, unknown>)[k] = v;
    }
  }
  if (out.sharedDir && !isAbsolute(out.sharedDir)) out.sharedDir = resolve(out.sharedDir);
  return out;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SlurmProfileError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SlurmProfileError(`${file} is not valid JSON`);
  }
}
