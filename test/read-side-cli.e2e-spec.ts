import { securityInfoStream } from '@signet/domain';
import { SqliteEventStore } from '@signet/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectionStatus } from '@signet/read-model';
import { build, cli, startApi, type RunningApi } from './support/processes';
import { unknownEvent, writeHistories } from './support/read-side';
import { eventually } from '@signet/testing';
import { checkedFetch } from './support/openapi-contract';

/** The operators' CLI against the built API sharing its DATA_DIR, as in production on the embedded stores. */
describe('projections on the CLI', () => {
  let dataDir: string;
  let api: RunningApi;
  let env: NodeJS.ProcessEnv;

  const tokens = new Map<string, string>();
  /** A request with a token the CLI issued for `roles` (issued once per role). */
  const request = async <T>(path: string, roles: string, init: RequestInit = {}) => {
    if (!tokens.has(roles))
      tokens.set(roles, (await cli(['token', '--sub', 'op', '--roles', roles], env)).stdout.trim());
    const res = await checkedFetch(`${api.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${tokens.get(roles)}`, 'Content-Type': 'application/json' },
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as T };
  };
  const status = async () =>
    (await request<{ projections: ProjectionStatus[] }>('/v1/admin/projections', 'operator')).body
      .projections[0];

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-read-side-cli-'));
    env = { DATA_DIR: dataDir };
    const events = new SqliteEventStore({ filename: join(dataDir, 'events.sqlite') });
    await writeHistories(
      events,
      Array.from({ length: 300 }, (_, i) => `seeded${i}`),
    );
    await events.close();
    api = await startApi(env);
    await eventually(async () => (await status()).state === 'caughtUp', { timeoutMs: 20_000 });
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('status: version, checkpoint, head, lag and state', async () => {
    const text = await cli(['projections', 'status'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/securityInfoPage\s+caughtUp/);
    expect(text.stdout).toMatch(/checkpoint\s+1200\n\s+head\s+1200\n\s+lag\s+0 events, 0\.0 s/);
    const json = await cli(['projections', 'status', '--json'], env);
    expect(JSON.parse(json.stdout).projections[0]).toMatchObject({
      name: 'securityInfoPage',
      version: 3,
      checkpoint: '1200',
      headPosition: '1200',
      lagEvents: 0,
      state: 'caughtUp',
    });
  });

  it('rebuild: shows progress, reports no drift, swaps, and the running API carries on with the new copy', async () => {
    const before = await status();
    const rebuilt = await cli(['projections', 'rebuild', 'securityInfoPage'], env);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(
      /Rebuilding securityInfoPage \[#+-*\]\s+\d+%\s+\d+ events\s+\d+ ev\/s\s+ETA/,
    );
    expect(rebuilt.stderr).toContain('100%');
    expect(rebuilt.stdout).toMatch(/generation \d+ is live from position 1200 \(1200 events\)/);
    expect(rebuilt.stdout).toContain('Drift: none (compared at position 1200).');

    const after = await status();
    expect(after.generation).toBeGreaterThan(before.generation!);
    // The API process follows the swapped-in copy: a new command shows up on the page at once.
    const token = (await cli(['token', '--sub', 'zoe'], env)).stdout.trim();
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const added = await checkedFetch(`${api.url}/v1/me/security-info/phone-methods`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' }),
    });
    const { position, methodId } = (await added.json()) as { position: string; methodId: string };
    const page = await checkedFetch(`${api.url}/v1/me/security-info?minPosition=${position}`, {
      headers: auth,
    });
    expect(page.headers.get('x-read-model-stale')).toBeNull();
    expect(await page.json()).toMatchObject({ methods: [{ methodId }] });
    expect((await status()).generation).toBe(after.generation);
  });

  it('rebuild over HTTP: 202 and a progress URL, for operators only', async () => {
    expect(
      (await request('/v1/admin/projections/securityInfoPage/rebuild', 'admin', { method: 'POST' })).status,
    ).toBe(403);
    const started = await request<{ generation: number; progressUrl: string }>(
      '/v1/admin/projections/securityInfoPage/rebuild',
      'operator',
      {
        method: 'POST',
      },
    );
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(started.body.progressUrl);
    let progress = { state: 'building', eventsPerSecond: 0 };
    await eventually(
      async () => {
        progress = (await request<typeof progress>(started.body.progressUrl, 'operator')).body;
        return progress.state !== 'building';
      },
      { timeoutMs: 20_000 },
    );
    expect(progress).toMatchObject({
      projection: 'securityInfoPage',
      generation: started.body.generation,
      state: 'swapped',
      drift: { documents: 0 },
      error: null,
      etaSeconds: null,
    });
    expect(progress.eventsPerSecond).toBeGreaterThan(0);
  });

  it('refuses unknown projections and actions with exit code 2', async () => {
    for (const args of [
      ['projections'],
      ['projections', 'rebuild'],
      ['projections', 'rebuild', 'nope'],
      ['projections', 'frob'],
    ]) {
      const run = await cli(args, env);
      expect(run.code).toBe(2);
      expect(run.stderr).not.toBe('');
    }
  });

  it('status exits 1 on a faulted projection, naming the event; resume lets the API retry it', async () => {
    const events = new SqliteEventStore({ filename: join(dataDir, 'events.sqlite') });
    const bad = await events.appendToStream(securityInfoStream('mallory'), [unknownEvent()], {
      expectedRevision: 'no_stream',
    });
    await events.close();
    await eventually(async () => (await status()).state === 'faulted', { timeoutMs: 10_000 });

    const faulted = await cli(['projections', 'status'], env);
    expect(faulted.code).toBe(1);
    expect(faulted.stdout).toContain(
      `fault        at position ${bad.position}: PhoneMethodRenamed on securityInfo-mallory`,
    );
    expect(faulted.stderr).toContain('Faulted: securityInfoPage');

    const firstFault = (await status()).fault!;
    const resumed = await cli(['projections', 'resume', 'securityInfoPage'], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`fault at position ${bad.position} cleared`);
    // The code still cannot handle the event: retried, and faulted again rather than skipped.
    await eventually(
      async () => {
        const now = await status();
        return now.state === 'faulted' && now.fault?.at !== firstFault.at;
      },
      { timeoutMs: 10_000 },
    );
    expect((await status()).checkpoint).toBe(String(bad.position - 1n));
  });
});
