import { VerificationCodes } from '@signet/domain';
import { isValidSubject } from '@signet/auth';
import { erasePersonalData } from '@signet/personal-data';
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../cli-command';
import { withPersonalData } from '../stores';

export const privacyCommand: CliCommand = {
  name: 'privacy',
  usage: `privacy erase --user <id> --reason <why> [--as <name>]
      Erase a person's personal data (GDPR Art. 17): destroy their data key, record PersonalDataErased, cancel
      their queued codes. Recorded in the access log with the reason and who asked (--as, else the OS user).`,
  async run(args) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { user: { type: 'string' }, reason: { type: 'string' }, as: { type: 'string' } },
    });
    if (positionals.length !== 1 || positionals[0] !== 'erase') throw new UsageError(`Usage: ${this.usage}`);
    const userId = values.user ?? '';
    if (!isValidSubject(userId))
      throw new UsageError('--user must be a user id (1 to 128 of A-Z a-z 0-9 @._:|+-)');
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError('--reason is required: why the data is erased, kept in the access log');
    return withPersonalData(async (store, personalData, config) => {
      const outcome = await erasePersonalData(
        store,
        personalData.keys,
        {
          userId,
          reason,
          requestedBy: { subject: values.as?.trim() || osUser(), roles: [], via: 'cli' },
          origin: {
            clientAddress: null,
            userAgent: `signet-cli on ${hostname()}`,
            correlationId: null,
            causationId: null,
          },
          now: new Date(),
        },
        { policy: config.policy, codes: new VerificationCodes(config.codeSecret) },
      );
      return JSON.stringify(outcome);
    });
  },
};

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}
