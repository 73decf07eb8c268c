/**
 * Every failure the store reports on purpose. One line, naming the file or id involved, so the CLI can print
 * it as is and the UI can show it without a stack trace.
 */
export class StoreError extends Error {
  constructor(
    message: string,
    /** Machine-readable kind, for callers that react differently (e.g. 'not-found' -> 404). */
    readonly code: StoreErrorCode = 'invalid',
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export type StoreErrorCode =
  | 'invalid'
  | 'not-found'
  | 'path'
  | 'schema-too-new'
  | 'corrupt'
  | 'ticket-folder'
  | 'conflict';

export const notFound = (what: string, id: string): StoreError => new StoreError(`${what} ${id} not found`, 'not-found');
