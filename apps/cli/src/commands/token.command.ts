import { parseArgs } from 'node:util';
import { issueToken, ROLES, type Role } from '@signet/auth';
import { loadConfig } from '@signet/config';
import { UsageError, type CliCommand } from '../cli-command';

export const tokenCommand: CliCommand = {
  name: 'token',
  usage: `token --sub <userId> [--roles user,auditor] [--ttl <seconds>]
      Print a Bearer token signed with the configured JWT secret (and nothing else).`,
  async run(args) {
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
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new UsageError('--ttl must be a positive number of seconds');
    }
    return issueToken(loadConfig().jwt, { subject: values.sub, roles: roles as Role[], ttlSeconds });
  },
};
