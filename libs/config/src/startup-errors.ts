/**
 * A failure to start whose message alone tells the operator what to do (a bad variable, a store that cannot be
 * reached, no redis-server): shown without a stack trace.
 */
export class StartupError extends Error {
  override readonly name: string = 'StartupError';
}

export class ConfigError extends StartupError {
  override readonly name = 'ConfigError';
}
