import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A secret given in a variable: hex when it reads as hex, else base64. */
export function decodeSecret(value: string): Buffer {
  return /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0
    ? Buffer.from(value, 'hex')
    : Buffer.from(value, 'base64');
}

/**
 * The embedded default must work with no configuration, yet codes and tokens must survive a restart and be
 * shared by the API and the CLI: so a generated secret is kept in DATA_DIR, readable by its owner only.
 */
export function storedSecret(dataDir: string, name: string, bytes: number): Buffer {
  const file = join(dataDir, `${name.toLowerCase().replace(/_/g, '-')}.key`);
  if (!existsSync(file)) {
    // Written aside then linked into place, so a concurrent reader never sees a half-written key.
    const draft = `${file}.${process.pid}.tmp`;
    writeFileSync(draft, randomBytes(bytes).toString('hex'), { mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (error) {
      // Another process (the CLI, a second API) created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}
