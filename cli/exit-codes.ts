/** The exit codes shared by every `elb-otlp` command. */

/** The command did what it was asked. */
export const EXIT_OK = 0;
/** Input could not be read, or a run failed. */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong (unknown option, bad value). */
export const EXIT_USAGE = 2;
/** Every line was delivered, but the receiver rejected some (partial success). */
export const EXIT_REJECTED = 3;
/** Some lines never reached the receiver (it refused, or stayed unavailable). */
export const EXIT_FAILED = 4;
/** The command stopped watching a run on Ctrl-C; the run goes on (128 + SIGINT, as shells report it). */
export const EXIT_DETACHED = 130;
