/**
 * A command line that cannot be run as written; the CLI prints the message
 * and the command's usage and exits with `EXIT_USAGE` (`cli/exit-codes.ts`).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
