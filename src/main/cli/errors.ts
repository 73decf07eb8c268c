import { z } from 'zod';

/** A problem the user can fix: printed as one line on stderr, exit status 2 (usage) or 1 (failure). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** Exit status of a run stopped by Ctrl-C, as shells report SIGINT. */
export const EXIT_INTERRUPTED = 130;

export function describeError(err: unknown): string {
  if (err instanceof z.ZodError) return err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  if (err instanceof Error) return err.message;
  return String(err);
}
