import 'reflect-metadata';
import { ConfigError } from '@signet/config';
import { UsageError } from './cli-command';
import { loadCommand, loadCommands } from './commands';

async function usage(): Promise<string> {
  const commands = await loadCommands();
  return `Usage: npm run cli -- <command> [options]

Commands:
${commands.map((c) => `  ${c.usage}`).join('\n')}
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(await usage());
    return name ? 0 : 2;
  }
  const loading = loadCommand(name);
  if (!loading) {
    process.stderr.write(`Unknown command "${name}".\n\n${await usage()}`);
    return 2;
  }
  const command = await loading;
  try {
    const output = await command.run(args);
    if (output !== undefined) process.stdout.write(`${output}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return error instanceof UsageError || error instanceof ConfigError || isArgumentError(error) ? 2 : 1;
  }
}

function isArgumentError(error: unknown): boolean {
  return String((error as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS');
}

main(process.argv.slice(2)).then(
  (code) => {
    // exitCode, not exit(): let a large stdout drain into a pipe first.
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
