import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
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
  const file = secretFile(dataDir, name);
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

function secretFile(dataDir: string, name: string, which: 'current' | 'previous' = 'current'): string {
  const base = name.toLowerCase().replace(/_/g, '-');
  return join(dataDir, which === 'current' ? `${base}.key` : `${base}.previous.key`);
}

/** The generated secret a rotation set aside (`<name>.previous.key`), if any. */
export function previousGeneratedSecret(dataDir: string, name: string): Buffer | undefined {
  const file = secretFile(dataDir, name, 'previous');
  return existsSync(file) ? Buffer.from(readFileSync(file, 'utf8').trim(), 'hex') : undefined;
}

/**
 * Rotates a generated secret: the current one is set aside as `<name>.previous.key` (replacing an earlier
 * one) and a new one generated. Returns the new secret.
 */
export function rotateGeneratedSecret(dataDir: string, name: string, bytes: number): Buffer {
  const current = secretFile(dataDir, name);
  if (existsSync(current)) renameSync(current, secretFile(dataDir, name, 'previous'));
  return storedSecret(dataDir, name, bytes);
}
