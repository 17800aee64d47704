/** A refusal to show the operator: the message on stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * One CLI command: `npm run cli -- <name> [args]`. `run` returns what to print on stdout (or nothing, when it
 * printed as it went) and throws UsageError for bad input; any other error exits 1.
 */
export interface CliCommand {
  name: string;
  /** One or more usage lines, shown by `npm run cli -- help`. */
  usage: string;
  run(args: string[]): Promise<string | void>;
}
