/**
 * A command line that cannot be run as written; the CLI prints the message
 * and the command's usage and exits with {@link EXIT_USAGE}.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
/** Input could not be read, or a run failed. */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong (unknown option, bad value). */
export const EXIT_USAGE = 2;
