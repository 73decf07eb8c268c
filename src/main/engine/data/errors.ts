import { basename } from 'node:path';

/**
 * Everything wrong with a dataset on disk surfaces as this one error type, so callers (CLI, UI,
 * import service) can show `message` to the user as is: it is a single line that starts with the
 * file's base name. `file` keeps the full path for logs.
 */
export class DatasetError extends Error {
  readonly file: string;

  constructor(file: string, detail: string) {
    // One line, whatever the detail contained: messages end up in table cells and status bars.
    super(`${basename(file) || file}: ${detail}`.replace(/\s*[\r\n]+\s*/g, ' '));
    this.name = 'DatasetError';
    this.file = file;
  }
}

export function isDatasetError(e: unknown): e is DatasetError {
  return e instanceof DatasetError;
}
