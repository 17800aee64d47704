import type { CliCommand } from '../cli-command';

/**
 * Every command of `npm run cli`, by name; a new command is a file beside this one and a line here. Each is loaded
 * only when asked for, so `token` and `code` start without the store clients `audit` or `dispatch` need.
 */
const LOADERS: Record<string, () => Promise<CliCommand>> = {
  token: async () => (await import('./token.command')).tokenCommand,
  code: async () => (await import('./code.command')).codeCommand,
  audit: async () => (await import('./audit.command')).auditCommand,
  projections: async () => (await import('./projections.command')).projectionsCommand,
  dispatch: async () => (await import('./dispatch.command')).dispatchCommand,
  privacy: async () => (await import('./privacy.command')).privacyCommand,
  keys: async () => (await import('./keys.command')).keysCommand,
};

export const COMMAND_NAMES = Object.keys(LOADERS);

/** The named command, or undefined when there is none. */
export function loadCommand(name: string): Promise<CliCommand> | undefined {
  return Object.hasOwn(LOADERS, name) ? LOADERS[name]() : undefined;
}

/** Every command, in the order of COMMAND_NAMES (for the usage text). */
export function loadCommands(): Promise<CliCommand[]> {
  return Promise.all(COMMAND_NAMES.map((name) => LOADERS[name]()));
}
