import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@signet/testing';
import { build, startApi, type RunningApi } from './support/processes';
import { textMeACode } from './support/seed-flow';

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
    const { methodId, textedTo, page, stale } = await textMeACode(signet.url, dataDir, 'newcomer');
    expect(textedTo).toBe('+14255550100');
    expect(stale).toBeNull();
    expect(page).toMatchObject({
      methods: [
        { methodId, status: 'verified', isDefault: true, phoneNumber: '+1 4255550100', e164: '+14255550100' },
      ],
      defaultMethod: { methodId, deliveryMethod: 'sms', label: 'Phone - text +1 4255550100' },
    });
  }, 40_000);

  it('stops both processes and the private Redis on SIGTERM, exiting 0', async () => {
    expect(await signet.stop()).toBe(0);
    expect(signet.output()).toMatch(/Worker/);
    await eventually(() => !existsSync(join(dataDir, 'redis', 'redis.sock')), {
      timeoutMs: 10_000,
      description: 'the private Redis to stop',
    });
  });
});
