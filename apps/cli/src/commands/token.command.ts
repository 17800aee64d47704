import { parseArgs } from 'node:util';
import { issueToken, ROLES, type Role } from '@signet/auth';
import { loadConfig } from '@signet/config';
import { UsageError, type CliCommand } from '../cli-command';

export const tokenCommand: CliCommand = {
  name: 'token',
  usage: `token --sub <userId> [--roles user,auditor] [--ttl <seconds>]
        [--auth-time <unix|now|-900s>] [--acr <value>] [--amr pwd,otp]
      Print a Bearer token signed with the configured JWT secret (and nothing else). It says its person
      signed in now (auth_time) unless --auth-time says when: a Unix time, now, or seconds ago (-900s).`,
  async run(args) {
    const { values } = parseArgs({
      args: withDashValues(args),
      options: {
        sub: { type: 'string' },
        roles: { type: 'string', default: 'user' },
        ttl: { type: 'string', default: '3600' },
        'auth-time': { type: 'string', default: 'now' },
        acr: { type: 'string' },
        amr: { type: 'string' },
      },
    });
    if (!values.sub) throw new UsageError('token needs --sub <userId>');
    const roles = commaList(values.roles);
    const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (unknown.length)
      throw new UsageError(`Unknown role(s): ${unknown.join(', ')}. Roles: ${ROLES.join(', ')}`);
    const ttlSeconds = Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new UsageError('--ttl must be a positive number of seconds');
    }
    return issueToken(loadConfig().jwt, {
      subject: values.sub,
      roles: roles as Role[],
      ttlSeconds,
      authTime: parseAuthTime(values['auth-time']),
      acr: values.acr,
      amr: values.amr === undefined ? undefined : commaList(values.amr),
    });
  },
};

/** `--auth-time -900s` reads as the option's value, not as another option (parseArgs would refuse it). */
function withDashValues(args: string[]): string[] {
  return args.flatMap((arg, i) =>
    arg === '--auth-time' && args[i + 1]?.startsWith('-')
      ? [`--auth-time=${args[i + 1]}`]
      : args[i - 1] === '--auth-time' && arg.startsWith('-')
        ? []
        : [arg],
  );
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `now`, a Unix time (`1764470000`), or seconds before now (`-900s`): when the person signed in. */
export function parseAuthTime(value: string, nowMs = Date.now()): number {
  const now = Math.floor(nowMs / 1000);
  if (value === 'now') return now;
  const ago = /^-(\d{1,9})s$/.exec(value);
  if (ago) return now - Number(ago[1]);
  if (/^\d{1,12}$/.test(value)) return Number(value);
  throw new UsageError('--auth-time must be now, a Unix time in seconds, or seconds ago such as -900s');
}
