import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../../shared/spec';

/** One line of a job script: no line breaks (they would smuggle shell commands into the script). */
const line = z.string().min(1).max(1000).refine((s) => !/[\r\n\0]/.test(s), 'must be one line');
/** A value written after `#SBATCH --x=`: no spaces or quotes either. */
const word = z.string().min(1).max(200).regex(/^[^\s'"`$\\;]+$/, 'must be one word without spaces, quotes or $');

/**
 * Where and how an experiment's trials run on a Slurm cluster. Every field is optional; flags of `lth run`
 * override a profile's fields. Profiles live in <data dir>/slurm-profiles.json as { "name": { ... } }, or in
 * any JSON file given as --slurm-profile FILE.
 */
export const SlurmProfileSchema = z
  .object({
    /** The experiment folder goes under this directory, which every node must see (the shared filesystem). */
    sharedDir: line.optional(),
    partition: word.optional(),
    account: word.optional(),
    qos: word.optional(),
    /** Per task: minutes, or Slurm's [D-]HH:MM:SS. */
    time: z.string().regex(/^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d{1,2}(:\d{2}){0,2})$/, 'use minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]').optional(),
    cpusPerTask: z.number().int().min(1).max(1024).optional(),
    gpusPerTask: z.number().int().min(0).max(64).optional(),
    /** Memory per task, e.g. 8G or 16000M. */
    mem: z.string().regex(/^\d+[KMGT]?$/i, 'use e.g. 8G or 16000M').optional(),
    /** More #SBATCH lines, written as given ("--constraint=a100" or "#SBATCH --constraint=a100"). */
    sbatch: z.array(line).max(64).optional(),
    /** Shell lines run on the node before lth, e.g. "module load nodejs/20". */
    setup: z.array(line).max(64).optional(),
    /** How to start lth on the node; default: this installation's node and bin/lth.js (fine when the cluster sees it). */
    lth: line.optional(),
    /** TensorFlow.js backend on the nodes; default: the --backend given to `lth run`. */
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).optional(),
  })
  .strict();
export type SlurmProfile = z.infer<typeof SlurmProfileSchema>;

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
