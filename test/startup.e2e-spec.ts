import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, cli, startApi, type RunningApi } from './support/processes';
import { checkedFetch } from './support/openapi-contract';

/** The newcomer's path: the built service and CLI, configured by environment only, used over HTTP. */
describe('the built service and CLI', () => {
  let dataDir: string;
  let api: RunningApi;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-startup-'));
    api = await startApi({ DATA_DIR: dataDir });
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the seed flow with a token and a code from the CLI', async () => {
    const token = await cli(['token', '--sub', 'alice'], { DATA_DIR: dataDir });
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const auth = { Authorization: `Bearer ${token.stdout.trim()}`, 'Content-Type': 'application/json' };

    const added = await checkedFetch(`${api.url}/v1/me/security-info/phone-methods`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' }),
    });
    expect(added.status).toBe(201);
    const method = (await added.json()) as { methodId: string; code: { codeId: string } };

    const code = await cli(['code', method.code.codeId], { DATA_DIR: dataDir });
    expect(code.stdout.trim()).toMatch(/^\d{6}$/);

    const verified = await checkedFetch(
      `${api.url}/v1/me/security-info/phone-methods/${method.methodId}/verify`,
      {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ code: code.stdout.trim() }),
      },
    );
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({
      status: 'verified',
      defaultMethod: { label: 'Phone - text +1 4255550100' },
    });

    // Nothing written to disk or logged holds the code.
    const written = readdirSync(dataDir)
      .filter((f) => statSync(join(dataDir, f)).isFile())
      .map((f) => readFileSync(join(dataDir, f)).toString('latin1'))
      .join('\n');
    for (const haystack of [written, api.output()]) {
      expect(haystack).not.toMatch(new RegExp(`(^|[^0-9a-f])${code.stdout.trim()}([^0-9a-f]|$)`));
    }
  });

  it('keeps the generated secrets private to their owner', () => {
    for (const file of readdirSync(dataDir).filter((f) => f.endsWith('.key'))) {
      expect(statSync(join(dataDir, file)).mode & 0o077).toBe(0);
    }
  });

  it('stops at start-up with a message naming a bad variable', async () => {
    await expect(startApi({ DATA_DIR: dataDir, PORT: 'eighty', CODE_TTL_SECONDS: '-5' })).rejects.toThrow(
      /exited with 2[\s\S]*PORT="eighty"[\s\S]*CODE_TTL_SECONDS="-5"/,
    );
  });

  it('CLI: prints usage and exits non-zero on bad input', async () => {
    const noSub = await cli(['token'], { DATA_DIR: dataDir });
    expect(noSub.code).toBe(2);
    expect(noSub.stderr).toContain('--sub');
    const badRole = await cli(['token', '--sub', 'a', '--roles', 'root'], { DATA_DIR: dataDir });
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('Unknown role(s): root');
    const unknown = await cli(['frobnicate'], { DATA_DIR: dataDir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command');
  });

  it('shuts down cleanly on SIGTERM, having loaded no production client on the embedded default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-stop-'));
    const loadedModules = join(dir, 'loaded-modules.txt');
    const second = await startApi({
      DATA_DIR: dir,
      NODE_OPTIONS: `--require ${join(__dirname, 'support', 'loaded-modules.js')}`,
      LOADED_MODULES_FILE: loadedModules,
    });
    expect(await second.stop()).toBe(0);
    // The EventStoreDB (gRPC) and MongoDB clients cost ~20 MB each: loaded only when their URL is set.
    const loaded = readFileSync(loadedModules, 'utf8');
    expect(loaded).toContain('better-sqlite3');
    expect(loaded).not.toMatch(/node_modules\/(@eventstore\/db-client|mongodb|bson)\//);
    rmSync(dir, { recursive: true, force: true });
  });
});
