import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LayerInfoSchema } from '../../shared/layers';
import { ExperimentSpecSchema, formatIssues, type ExperimentSpec } from '../../shared/spec';
import { specHash } from '../store';
import type { SlurmProfile } from './profile';

/*
 * The experiment folder on the shared filesystem, <sharedDir>/<experiment id>/:
 *   experiment.json          what every task runs: spec, spec hash, dataset id/hash, layers (written once)
 *   job.sbatch               the job script: `sbatch job.sbatch` runs every trial, `sbatch --array=1,3 job.sbatch` some
 *   dataset/                 a copy of an imported dataset (the built-in MNIST ships with lth itself)
 *   tasks/trial-T.sqlite     task T's own result store, written only by that task (rollback journal: no shared memory
 *                            over NFS); it keeps checkpoints, so a resubmitted task continues where it stopped
 *   tasks/trial-T.published.sqlite
 *                            a consistent copy of the committed results, replaced atomically (rename) after every
 *                            stored run: the only file `lth sync` reads, read-only, so it never sees a half-written one
 *   logs/slurm-A_T.out       each task's output
 */
export const MANIFEST_FILE = 'experiment.json';
export const JOB_SCRIPT = 'job.sbatch';
export const MANIFEST_FORMAT = 'lth-lab-slurm-experiment';

export const taskFile = (folder: string, trial: number) => join(folder, 'tasks', `trial-${trial}.sqlite`);
export const publishedFile = (folder: string, trial: number) => join(folder, 'tasks', `trial-${trial}.published.sqlite`);

const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.literal(1),
  experimentId: z.string().regex(/^e_[0-9a-z]+$/),
  name: z.string(),
  spec: z.unknown(),
  specHash: z.string().regex(/^[0-9a-f]{64}$/),
  dataset: z.object({
    id: z.string(),
    source: z.enum(['builtin', 'idx', 'cifar10']),
    name: z.string(),
    hash: z.string(),
    /** Relative to the experiment folder; null for the built-in dataset. */
    folder: z.string().nullable(),
  }),
  layers: z.array(LayerInfoSchema),
  backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']),
  lthLab: z.string(),
  createdAt: z.string(),
});
export type Manifest = Omit<z.infer<typeof ManifestSchema>, 'spec'> & { spec: ExperimentSpec };

export function writeManifest(folder: string, m: Manifest): void {
  mkdirSync(join(folder, 'tasks'), { recursive: true });
  mkdirSync(join(folder, 'logs'), { recursive: true });
  writeAtomic(join(folder, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
}

export function readManifest(folder: string): Manifest {
  const file = join(folder, MANIFEST_FILE);
  if (!existsSync(file)) throw new Error(`${folder} is not an LTH Lab Slurm experiment folder: ${MANIFEST_FILE} is missing`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) throw new Error(`${file} is invalid: ${formatIssues(r.error).replace(/\n/g, '; ')}`);
  const spec = ExperimentSpecSchema.safeParse(r.data.spec);
  if (!spec.success) throw new Error(`${file} has an invalid spec: ${formatIssues(spec.error).replace(/\n/g, '; ')}`);
  // The hash is what results are checked against at sync: a spec edited by hand would train something else.
  if (specHash(spec.data) !== r.data.specHash) throw new Error(`${file}: the spec does not hash to the recorded spec hash (edited by hand?)`);
  return { ...r.data, spec: spec.data };
}

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
}

/** Single-quoted for bash. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The job script: readable, and re-submittable by hand from any directory. */
export function jobScript(folder: string, m: Manifest, profile: SlurmProfile, defaultLth: string): string {
  const trials = m.spec.trials;
  const sb: string[] = [
    `#SBATCH --job-name=lth-${m.experimentId}`,
    `#SBATCH --array=0-${trials - 1}`,
    `#SBATCH --chdir=${folder}`,
    `#SBATCH --output=${join(folder, 'logs', 'slurm-%A_%a.out')}`,
    '#SBATCH --ntasks=1',
  ];
  if (profile.partition) sb.push(`#SBATCH --partition=${profile.partition}`);
  if (profile.account) sb.push(`#SBATCH --account=${profile.account}`);
  if (profile.qos) sb.push(`#SBATCH --qos=${profile.qos}`);
  if (profile.time) sb.push(`#SBATCH --time=${profile.time}`);
  sb.push(`#SBATCH --cpus-per-task=${profile.cpusPerTask ?? 1}`);
  if (profile.gpusPerTask) sb.push(`#SBATCH --gpus-per-task=${profile.gpusPerTask}`);
  if (profile.mem) sb.push(`#SBATCH --mem=${profile.mem}`);
  // Time limits: SIGTERM to the batch shell (B:), which is lth itself (exec), a minute before the limit: it stops
  // cleanly, its runs in flight keep their last checkpoint, and the trial is resubmittable.
  // (Not for limits of 5 minutes or less, where a minute is too large a share.)
  const minutes = profile.time ? timeMinutes(profile.time) : Infinity;
  if (minutes > 5) sb.push('#SBATCH --signal=B:TERM@60');
  for (const l of profile.sbatch ?? []) sb.push(l.startsWith('#SBATCH') ? l : `#SBATCH ${l}`);
  const backend = profile.backend ?? m.backend;
  const lth = profile.lth ?? defaultLth;
  return [
    '#!/bin/bash',
    ...sb,
    '#',
    `# LTH Lab experiment ${m.experimentId}: ${m.name.replace(/[\r\n]/g, ' ')}`,
    `# ${trials} trial(s), one array task each; task T runs trial T and writes only tasks/trial-T.sqlite here.`,
    `# Resubmit some trials by hand: sbatch --array=1,3 ${join(folder, JOB_SCRIPT)}`,
    '# Bring results home with: lth sync ' + m.experimentId,
    'set -euo pipefail',
    ...(profile.setup ?? []),
    `exec ${lth} --backend ${backend} slurm-task ${shellQuote(folder)} --trial "\${SLURM_ARRAY_TASK_ID:?run this script with sbatch}"`,
    '',
  ].join('\n');
}

/** Slurm's time formats we accept: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
export function timeMinutes(t: string): number {
  const [d, rest] = t.includes('-') ? [Number(t.split('-')[0]), t.split('-')[1]!] : [0, t];
  const p = rest.split(':').map(Number);
  if (t.includes('-')) return d * 1440 + (p[0] ?? 0) * 60 + (p[1] ?? 0) + (p[2] ?? 0) / 60;
  if (p.length === 1) return p[0]!;
  if (p.length === 2) return p[0]! + p[1]! / 60;
  return p[0]! * 60 + p[1]! + p[2]! / 60;
}
