import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, cli, ROOT, startApi, type RunningApi } from './support/processes';

/**
 * DATA_DIR going wrong under the built API: deleted while it runs, or read-only. A command whose write cannot be
 * made durable answers 503 `store-unavailable` (never 201), and readiness answers 503 naming the store.
 */
describe('the embedded stores when DATA_DIR fails', () => {
  beforeAll(() => build());

  const addPhone = (url: string, token: string, phoneNumber: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/me/security-info/phone-methods`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ phoneNumber, phoneType: 'mobile', deliveryMethod: 'sms' }),
    });
  const readiness = async (url: string) => {
    const response = await fetch(`${url}/health/ready`);
    return {
      status: response.status,
      body: (await response.json()) as { dependencies: Record<string, { status: string; error?: string }> },
    };
  };
  const token = async (dataDir: string, subject: string) =>
    (await cli(['token', '--sub', subject], { DATA_DIR: dataDir })).stdout.trim();

  describe('deleted while the API runs', () => {
    let parent: string;
    let dataDir: string;
    let api: RunningApi;

    beforeAll(async () => {
      parent = mkdtempSync(join(tmpdir(), 'signet-vanish-'));
      dataDir = join(parent, 'data'); // created by Signet
      api = await startApi({ DATA_DIR: dataDir });
    }, 60_000);
    afterAll(async () => {
      await api?.stop();
      rmSync(parent, { recursive: true, force: true });
    });

    it('creates DATA_DIR (0700) and every store file readable by its owner only (0600)', async () => {
      const alice = await token(dataDir, 'alice');
      expect((await addPhone(api.url, alice, '+1 425 555 0100', { 'Idempotency-Key': 'k1' })).status).toBe(
        201,
      );
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const files = readdirSync(dataDir).filter((f) => /\.sqlite(-wal|-shm)?$|\.key$/.test(f));
      expect(files).toEqual(
        expect.arrayContaining([
          'events.sqlite',
          'read-model.sqlite',
          'idempotency.sqlite',
          'events.sqlite-wal',
        ]),
      );
      for (const file of files)
        expect([file, statSync(join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
    });

    it('answers 503 store-unavailable to commands, never 201, and readiness names the stores', async () => {
      const bob = await token(dataDir, 'bob');
      expect((await readiness(api.url)).status).toBe(200);

      rmSync(dataDir, { recursive: true, force: true });

      const refused = await addPhone(api.url, bob, '+1 425 555 0101');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await refused.json()).toMatchObject({ status: 503, code: 'store-unavailable' });
      // With an Idempotency-Key the key's own store is the first to refuse: 503 all the same.
      const keyed = await addPhone(api.url, bob, '+1 425 555 0102', { 'Idempotency-Key': 'k2' });
      expect(keyed.status).toBe(503);

      const ready = await readiness(api.url);
      expect(ready.status).toBe(503);
      for (const store of ['eventStore', 'readModel', 'idempotencyStore']) {
        expect(ready.body.dependencies[store]).toMatchObject({
          status: 'down',
          error: expect.stringMatching(/is gone/),
        });
      }
      expect(existsSync(dataDir)).toBe(false);
    });
  });

  describe('read-only', () => {
    // Root writes anywhere: the API then runs as `nobody`, as a service account would.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    let dataDir: string;

    const startAs = (env: NodeJS.ProcessEnv): Promise<RunningApi> => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/apps/api/src/main.js')], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1', HOST: '127.0.0.1', PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...asUser,
      });
      let output = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      return new Promise((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /Security info API on (http:\/\/\S+)/.exec(output);
          if (!match) return;
          resolve({
            process: child,
            output: () => output,
            exited,
            url: match[1].replace('[::1]', '127.0.0.1'),
            stop: async () => {
              child.kill('SIGTERM');
              return exited;
            },
          });
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`API exited with ${code}:\n${output}`)));
      });
    };

    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'signet-readonly-'));
      if ('uid' in asUser) chownSync(dataDir, asUser.uid!, asUser.gid!);
    });
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('makes readiness 503 naming the stores, and commands 503 rather than 500', async () => {
      const first = await startAs({ DATA_DIR: dataDir });
      const alice = await token(dataDir, 'alice');
      expect((await addPhone(first.url, alice, '+1 425 555 0100')).status).toBe(201);
      expect(await first.stop()).toBe(0);

      // The store files restored read-only (or a volume whose files the service account may not write).
      for (const file of readdirSync(dataDir).filter((f) => f.includes('.sqlite'))) {
        chmodSync(join(dataDir, file), 0o400);
      }
      const api = await startAs({ DATA_DIR: dataDir });
      try {
        const ready = await readiness(api.url);
        expect(ready.status).toBe(503);
        expect(ready.body.dependencies.eventStore).toMatchObject({
          status: 'down',
          error: expect.stringMatching(/readonly|read-only/i),
        });
        const refused = await addPhone(api.url, await token(dataDir, 'bob'), '+1 425 555 0101');
        expect(refused.status).toBe(503);
        expect(await refused.json()).toMatchObject({ code: 'store-unavailable' });
      } finally {
        expect(await api.stop()).toBe(0);
      }
    }, 60_000);
  });
});
