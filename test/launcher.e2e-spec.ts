import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { build, cli, startApi, type RunningApi } from './support/processes';

/**
 * `npm start` as a newcomer runs it: no configuration at all, the API and the worker side by side, the worker's
 * private redis-server, and the code read from the outbox.
 */
describe('npm start: the API and the worker together', () => {
  let dataDir: string;
  let signet: RunningApi;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-launcher-'));
    signet = await startApi({ DATA_DIR: dataDir, REDIS_URL: '' }, 'launcher');
  }, 60_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('texts the code to the outbox, verifies it, and shows the phone as the default on the page', async () => {
    const token = (await cli(['token', '--sub', 'newcomer'], { DATA_DIR: dataDir })).stdout.trim();
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const api = `${signet.url}/v1/me/security-info`;

    const added = await fetch(`${api}/phone-methods`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' }),
    });
    expect(added.status).toBe(201);
    const { methodId, code: sent } = (await added.json()) as { methodId: string; code: { codeId: string } };

    const outbox = join(dataDir, 'outbox.jsonl');
    const message = await eventually(
      async () =>
        (existsSync(outbox) ? readFileSync(outbox, 'utf8').trim().split('\n') : [])
          .map((l) => JSON.parse(l) as { codeId: string; body: string; to: string })
          .find((m) => m.codeId === sent.codeId),
      { timeoutMs: 20_000, what: 'the code in the outbox' },
    );
    expect(message.to).toBe('+14255550100');
    const code = /\b(\d{6})\b/.exec(message.body)![1];

    const verified = await fetch(`${api}/phone-methods/${methodId}/verify`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ code }),
    });
    expect(verified.status).toBe(200);
    const { position } = (await verified.json()) as { position: string };

    const page = await fetch(`${api}?minPosition=${position}`, { headers });
    expect(page.headers.get('x-read-model-stale')).toBeNull();
    expect(await page.json()).toMatchObject({
      methods: [{ methodId, status: 'verified', isDefault: true }],
      defaultMethod: { methodId, deliveryMethod: 'sms', label: 'Phone - text +14255550100' },
    });
  }, 40_000);

  it('stops both processes and the private Redis on SIGTERM, exiting 0', async () => {
    expect(await signet.stop()).toBe(0);
    expect(signet.output()).toMatch(/Worker/);
    await eventually(async () => !existsSync(join(dataDir, 'redis', 'redis.sock')) || null, {
      what: 'the private Redis to stop',
    });
  });
});
