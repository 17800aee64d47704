import { parseArgs } from 'node:util';
import { loadConfig } from '@signet/config';
import { VerificationCodes } from '@signet/domain';
import { UsageError, type CliCommand } from '../cli-command';

export const codeCommand: CliCommand = {
  name: 'code',
  usage: `code <codeId>
      Print the verification code for a code id, derived with the configured CODE_SECRET.
      For trying Signet locally before an SMS provider is set up; it needs the server secret.`,
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError('code needs exactly one <codeId>');
    return new VerificationCodes(loadConfig().codeSecret).codeFor(positionals[0]);
  },
};
