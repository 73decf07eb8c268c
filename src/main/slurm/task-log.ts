import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** Enough of a log's end for its last error; a task's log can grow long with one line per finished run. */
const TAIL_BYTES = 64 * 1024;
const MAX_LINE = 500;

/** Where Slurm writes array task `<array job>_<task>`'s output (job.sbatch's --output=logs/slurm-%A_%a.out). */
export const taskLogFile = (folder: string, taskJobId: string) => join(folder, 'logs', `slurm-${taskJobId}.out`);

/**
 * The last error a task printed, from its Slurm log: a task that dies before it opens its store (a bad manifest,
 * a missing dataset copy, no node binary on the node) leaves its reason nowhere else. lth's own error line
 * ("lth: ...") first; else the last line that reads like an error (bash, Node, slurmstepd); else the last line.
 * Null when the log is missing or empty.
 */
export function lastErrorLine(file: string): string | null {
  if (!existsSync(file)) return null;
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      text = buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const own = lines.filter((l) => l.startsWith('lth: ') && !l.startsWith('lth: warning:')).at(-1);
  const line = own?.slice('lth: '.length) ?? lines.filter((l) => /\b(error|fatal|killed|not found|no such file|cannot|abort)/i.test(l)).at(-1) ?? lines.at(-1) ?? null;
  return line === null ? null : line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}
