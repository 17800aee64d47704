import { rotateGeneratedSecret } from '@signet/config';
import { PersonalData } from '@signet/personal-data';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../cli-command';
import { withPersonalData } from '../stores';

export const keysCommand: CliCommand = {
  name: 'keys',
  usage: `keys rotate-master
      Re-wrap every person's data key with the current master key (DATA_KEY_SECRET, the one before it in
      DATA_KEY_PREVIOUS_SECRET). With the generated master key (the embedded default), first generate the next
      one; the old one is kept as data-key-secret.previous.key. Events are not touched.`,
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
    if (positionals.length !== 1 || positionals[0] !== 'rotate-master')
      throw new UsageError(`Usage: ${this.usage}`);
    return withPersonalData(async (_store, current, config) => {
      let personalData = current;
      if (config.personalData.generated) {
        const next = rotateGeneratedSecret(config.dataDir, 'DATA_KEY_SECRET', 32);
        const { masterKey, previousMasterKeys } = config.personalData;
        personalData = new PersonalData(current.keyStore, {
          codeSecret: config.codeSecret,
          personalData: {
            ...config.personalData,
            masterKey: next,
            previousMasterKeys: [masterKey, ...previousMasterKeys],
          },
        });
      }
      const counts = await personalData.keys.rotateMaster();
      const summary =
        `Master key ${personalData.keys.masterKid}: ${counts.rewrapped} data keys re-wrapped, ` +
        `${counts.alreadyCurrent} already current`;
      if (counts.unknownMaster > 0) {
        // Exit 1: those keys stay wrapped by a master key no process may hold much longer.
        throw new Error(
          `${summary}; ${counts.unknownMaster} wrapped by a master key this process does not hold ` +
            '(set DATA_KEY_PREVIOUS_SECRET to it and run again)',
        );
      }
      return summary;
    });
  },
};
