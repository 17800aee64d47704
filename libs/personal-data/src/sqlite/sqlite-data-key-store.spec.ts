import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataKeyStoreContract } from '../data-key-store.contract';
import { SqliteDataKeyStore } from './sqlite-data-key-store';

dataKeyStoreContract('SqliteDataKeyStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-keys-'));
  const store = new SqliteDataKeyStore({ filename: join(dir, 'keys.sqlite') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteDataKeyStore', () => {
  it('leaves no byte of a destroyed key in its files (secure delete, the WAL truncated)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-keys-'));
    const store = new SqliteDataKeyStore({ filename: join(dir, 'keys.sqlite') });
    const wrapped = 'WRAPPED-KEY-OF-ALICE-'.repeat(4);
    await store.create({ kid: 'k1', personId: 'alice', wrapped, masterKid: 'm1', createdAt: 'now' });
    await store.create({ kid: 'k2', personId: 'bob', wrapped: 'bobs', masterKid: 'm1', createdAt: 'now' });
    const contents = () =>
      readdirSync(dir)
        .map((file) => readFileSync(join(dir, file)).toString('latin1'))
        .join('');
    expect(contents()).toContain(wrapped);
    await store.destroy('alice');
    expect(contents()).not.toContain('WRAPPED-KEY-OF-ALICE');
    await store.close();
    expect(contents()).not.toContain('WRAPPED-KEY-OF-ALICE');
    rmSync(dir, { recursive: true, force: true });
  });
});
