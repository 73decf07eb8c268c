import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { zipFiles } from './zip';
import type { MaskInput } from '../../shared/figures/types';
import type { Store } from '../store';
import { pixelHeatmap } from './tickets';
import type { ExportFiguresRequest, ExportedFiles, LabServices, ZippedFiles } from './types';

/**
 * Paper figures from the window (Compare view) and the browser mode: the same exportFigures that
 * `lth export` calls, so a figure exported from the app is byte-for-byte the one from the command line.
 * The request is already validated against the contract's schema; what only this machine can judge
 * (is the folder absolute here, can it be written, do the experiments and rounds exist) is checked here
 * and reported against the request field to blame.
 */
export function exportsService(store: Store): LabServices['exports'] {
  // Only files this process exported may be zipped: the zip call must not read arbitrary paths.
  const written = new Set<string>();
  return {
    figures: async (request) => {
      const out = await exportFigureFiles(store, request);
      out.files.forEach((f) => written.add(f));
      return out;
    },
    zip: async (files) => zipExported(files, written),
  };
}

/** Largest zip handed to a browser (it travels base64 in one WebSocket message). */
const MAX_ZIP_BYTES = 64 * 1024 * 1024;

export function zipExported(files: string[], written: ReadonlySet<string>): ZippedFiles {
  const entries: { name: string; data: Buffer }[] = [];
  let total = 0;
  const names = new Set<string>();
  for (const f of files) {
    if (!written.has(f)) throw new ExportRequestError(`${f} was not written by an export of this lab session: export it first`, 'folder');
    if (!existsSync(f)) throw new ExportRequestError(`${f} is gone: export again`, 'folder');
    total += statSync(f).size;
    if (total > MAX_ZIP_BYTES) throw new ExportRequestError(`the files are larger than ${MAX_ZIP_BYTES / 1024 / 1024} MiB together: download them from the folder instead`, 'folder');
    let name = basename(f);
    for (let i = 2; names.has(name); i++) name = `${i}-${basename(f)}`;
    names.add(name);
    entries.push({ name, data: readFileSync(f) });
  }
  const zip = zipFiles(entries);
  const stem = entries.length === 1 ? entries[0]!.name.replace(/\.[^.]+$/, '') : entries[0]!.name.replace(/\.[^.]+$/, '');
  return { fileName: `${stem}.zip`, base64: zip.toString('base64'), bytes: zip.length };
}

/** An input problem with the request field it belongs to, as the dispatcher puts it on the wire. */
export class ExportRequestError extends Error {
  readonly code = 'invalid';
  constructor(
    message: string,
    readonly field: keyof ExportFiguresRequest,
  ) {
    super(message);
    this.name = 'ExportRequestError';
  }
}

export async function exportFigureFiles(store: Store, request: ExportFiguresRequest): Promise<ExportedFiles> {
  // Paths are the serving machine's: "C:\figs" is not absolute on Linux, "/figs" is not on Windows.
  if (!isAbsolute(request.folder)) {
    throw new ExportRequestError(`"${request.folder}" is not an absolute path on the machine running the lab`, 'folder');
  }
  const details = request.experimentIds.map((id) => store.experimentDetail(id));
  let mask: MaskInput | undefined;
  if (request.figure === 'mask') {
    if (!request.ticketId) throw new ExportRequestError('the mask figure needs a ticket', 'ticketId');
    const ticket = store.tickets.get(request.ticketId);
    mask = { ...pixelHeatmap(store, request.ticketId), ticket };
  }
  // Loaded on first export: the exporter pulls in Chart.js and the native canvas, which a window
  // that never exports does not need at start-up.
  const { exportFigures } = await import('../export');
  const existed = new Set(
    request.formats.map((f) => resolve(request.folder, `${request.figure}.${f}`)).filter((p) => existsSync(p)),
  );
  try {
    const files = await exportFigures(details, {
      figure: request.figure,
      formats: request.formats,
      widthInches: request.widthInches,
      outDir: resolve(request.folder),
      rounds: request.rounds,
      mask,
    });
    const replaced = files.filter((f) => existed.has(resolve(f)));
    return replaced.length ? { files, replaced } : { files };
  } catch (err) {
    throw blame(err);
  }
}

/** FigureOptionError (bad rounds, no runs yet, ...) and file-system errors, named after their field. */
function blame(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'FigureOptionError') {
    const m = err.message;
    const field: keyof ExportFiguresRequest = /round/i.test(m)
      ? 'rounds'
      : /ticket/i.test(m)
        ? 'ticketId'
        : /width/i.test(m)
          ? 'widthInches'
          : /format/i.test(m)
            ? 'formats'
            : /experiment/i.test(m)
              ? 'experimentIds'
              : 'figure';
    return new ExportRequestError(m, field);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOSPC', 'ENAMETOOLONG'].includes(code)) {
    const path = (err as NodeJS.ErrnoException).path;
    return new ExportRequestError(`cannot write ${path ?? 'the figure files'}: ${code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of the folder' : code === 'ENOSPC' ? 'the disk is full' : 'permission denied'}`, 'folder');
  }
  return err;
}
