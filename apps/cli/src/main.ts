import { parseArgs } from 'node:util';
import { issueToken, ROLES, type Role } from '@signet/auth';
import { ConfigError, loadConfig } from '@signet/config';
import { VerificationCodes } from '@signet/domain';

/** A refusal to show the operator: message on stderr, non-zero exit. */
class UsageError extends Error {}

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  token --sub <userId> [--roles user,auditor] [--ttl <seconds>]
      Print a Bearer token signed with the configured JWT secret (and nothing else).
  code <codeId>
      Print the verification code for a code id, derived with the configured CODE_SECRET.
      For trying Signet locally before an SMS provider is set up; it needs the server secret.
`;

type Command = (args: string[]) => Promise<string>;

const commands: Record<string, Command> = {
  async token(args) {
    const { values } = parseArgs({
      args,
      options: {
        sub: { type: 'string' },
        roles: { type: 'string', default: 'user' },
        ttl: { type: 'string', default: '3600' },
      },
    });
    if (!values.sub) throw new UsageError('token needs --sub <userId>');
    const roles = values.roles
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (unknown.length)
      throw new UsageError(`Unknown role(s): ${unknown.join(', ')}. Roles: ${ROLES.join(', ')}`);
    const ttlSeconds = Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
      throw new UsageError('--ttl must be a positive number of seconds');
    return issueToken(loadConfig().jwt, { subject: values.sub, roles: roles as Role[], ttlSeconds });
  },

  async code(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError('code needs exactly one <codeId>');
    return new VerificationCodes(loadConfig().codeSecret).codeFor(positionals[0]);
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  try {
    process.stdout.write(`${await command(args)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || isArgumentError(error)) {
      process.stderr.write(`${(error as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

function isArgumentError(error: unknown): boolean {
  return String((error as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS');
}
