import { issueToken } from '@signet/auth';
import { readUserStreams } from '@signet/audit';
import { loadConfig, type SignetConfig } from '@signet/config';
import { openEventStore, type EventStore, type RecordedEvent } from '@signet/event-store';
import { answersPing, readOutbox } from '@signet/messaging';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@signet/testing';
import { build, cli, startApi, startWorker, type RunningApi, type RunningProcess } from './support/processes';
import { RedisServer } from './support/redis-server';
import { HttpProviderDouble } from './support/sms-provider-doubles';
import { checkedFetch } from './support/openapi-contract';

const HTTP_SECRET = 'http-provider-secret-0123456789abcdef';

/** The built API and the built worker (`npm run start:worker`) as separate processes, sharing DATA_DIR and Redis. */
describe('the worker process', () => {
  let dataDir: string;
  let redis: RedisServer;
  let provider: HttpProviderDouble;
  let api: RunningApi;
  let config: SignetConfig;
  let store: EventStore;
  const workers: RunningProcess[] = [];
  const env = () => ({
    DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    OTP_DOMAIN: 'signet.test',
    // Every worker sharing a queue must agree on it: BullMQ's stalled check runs once per interval per queue.
    DISPATCH_STALLED_AFTER_MS: '1000',
  });
  const worker = async (extra: Record<string, string> = {}) => {
    const started = await startWorker({ ...env(), ...extra });
    workers.push(started);
    return started;
  };

  let people = 0;
  const addPhone = async () => {
    const person = ++people;
    const userId = `worker-user-${person}`;
    const token = await issueToken(config.jwt, { subject: userId, roles: ['user'] });
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const phoneNumber = `+1 425 555 ${String(300 + person).padStart(4, '0')}`;
    const added = await checkedFetch(`${api.url}/v1/me/security-info/phone-methods`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ phoneNumber, phoneType: 'mobile', deliveryMethod: 'sms' }),
    });
    expect(added.status).toBe(201);
    const body = (await added.json()) as { methodId: string; code: { codeId: string } };
    return { userId, headers, methodId: body.methodId, codeId: body.code.codeId };
  };
  const outcomes = async (userId: string, codeId: string): Promise<RecordedEvent[]> => {
    const found: RecordedEvent[] = [];
    for await (const e of readUserStreams(store, userId))
      if (e.type !== 'CodeSent' && (e.data as { codeId?: string }).codeId === codeId) found.push(e);
    return found;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'signet-worker-'));
    [redis, provider] = await Promise.all([
      RedisServer.start(),
      new HttpProviderDouble(HTTP_SECRET).listen(),
      build(),
    ]);
    config = loadConfig({ DATA_DIR: dataDir });
    store = openEventStore(config);
    api = await startApi(env());
  }, 120_000);

  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.process.kill('SIGKILL');
      await w.exited;
    }
  });

  afterAll(async () => {
    await api?.stop();
    await store?.close();
    await Promise.all([redis?.destroy(), provider?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the seed flow: the code arrives in the outbox, proves the phone, which becomes the default', async () => {
    const running = await worker();
    const { methodId, codeId, headers } = await addPhone();

    const line = await eventually(
      () => readOutbox(join(dataDir, 'outbox.jsonl')).find((l) => l.codeId === codeId) ?? false,
      { timeoutMs: 10_000, description: 'the code in the outbox' },
    );
    expect(line).toMatchObject({ to: expect.stringMatching(/^\+1425555\d{4}$/), channel: 'sms' });
    const code = /@signet\.test #(\d{6})$/.exec(line.body)![1];

    const verified = await checkedFetch(`${api.url}/v1/me/security-info/phone-methods/${methodId}/verify`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ code }),
    });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ status: 'verified', defaultMethod: { methodId } });
    // Neither process logged the code.
    expect(running.output() + api.output()).not.toContain(code);

    running.process.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('SIGTERM: shutting down');
  });

  it('keeps the ETag of the seed flow valid while the worker records what became of the code', async () => {
    await worker();
    const userId = 'etag-person';
    const token = await issueToken(config.jwt, { subject: userId, roles: ['user'] });
    const api_ = `${api.url}/v1/me/security-info`;
    const send = (method: string, path: string, ifMatch: string | null, body?: unknown) =>
      checkedFetch(`${api_}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          ...(ifMatch ? { 'If-Match': ifMatch } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const added = await send('POST', '/phone-methods', null, {
      phoneNumber: '+1 425 555 0190',
      phoneType: 'mobile',
      deliveryMethod: 'sms',
    });
    expect(added.status).toBe(201);
    const etag = added.headers.get('etag')!;
    expect(etag).toBe('"1"');
    const { methodId, code: sent } = (await added.json()) as { methodId: string; code: { codeId: string } };

    // The worker sends the code and records its outcome before the person types it in.
    const line = await eventually(
      async () => readOutbox(join(dataDir, 'outbox.jsonl')).find((l) => l.codeId === sent.codeId) ?? false,
      { timeoutMs: 10_000, description: 'the code in the outbox' },
    );
    const [accepted] = await eventually(
      async () => {
        const found = await outcomes(userId, sent.codeId);
        return found.length > 0 && found;
      },
      { timeoutMs: 10_000, description: 'the outcome of the code' },
    );
    expect(accepted).toMatchObject({ type: 'CodeDeliveryAccepted', streamId: `codeDelivery-${userId}` });
    const page = await send('GET', '', null);
    expect(page.headers.get('etag')).toBe(etag);

    const code = /#(\d{6})$/.exec(line.body)![1];
    const verified = await send('POST', `/phone-methods/${methodId}/verify`, etag, { code });
    expect(verified.status).toBe(200);
    expect(verified.headers.get('etag')).toBe('"3"');

    const changed = await send('PUT', '/default-method', '"3"', { methodId, deliveryMethod: 'voice' });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe('"4"');

    const deleted = await send('DELETE', `/methods/${methodId}`, '"4"');
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get('etag')).toBe('"6"');

    // An If-Match the page has moved past is still refused: only background work leaves it alone.
    const stale = await send('DELETE', `/methods/${methodId}`, '"4"');
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ code: 'precondition-failed', currentRevision: '6' });
  });

  it('still delivers a code once when the worker is killed mid-send', async () => {
    const http = { SMS_PROVIDER: 'http', SMS_HTTP_URL: provider.url, SMS_HTTP_SECRET: HTTP_SECRET };
    provider.answer({ status: 200, hold: true });
    const first = await worker(http);
    const { userId, codeId } = await addPhone();
    await eventually(() => provider.messages().some((m) => m.codeId === codeId), {
      timeoutMs: 10_000,
      description: 'the provider to receive the message',
    });

    first.process.kill('SIGKILL'); // the provider has the message; the worker never heard back
    await first.exited;
    provider.answer({ status: 200 });
    await worker(http);

    // BullMQ takes the job over once the dead worker's lock lapses (DISPATCH_STALLED_AFTER_MS, twice at most).
    const [accepted] = await eventually(
      async () => {
        const found = await outcomes(userId, codeId);
        return found.length > 0 && found;
      },
      { timeoutMs: 20_000, description: 'the code to be sent again' },
    );
    expect(accepted.type).toBe('CodeDeliveryAccepted');
    const requests = provider.requests.filter((r) => r.body.includes(codeId));
    expect(requests.length).toBe(2);
    // Sent again under the same idempotency key: the provider delivers it once.
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual([codeId, codeId]);
    expect(await outcomes(userId, codeId)).toHaveLength(1);
  }, 30_000);

  it('two workers side by side send every code exactly once', async () => {
    // Each worker runs a dispatcher too: both enqueue every CodeSent, and the job id (the code id) makes one job.
    const [one, two] = await Promise.all([worker(), worker()]);
    const added = await Promise.all(Array.from({ length: 12 }, () => addPhone()));
    const outcomesOf = await Promise.all(
      added.map(({ userId, codeId }) =>
        eventually(
          async () => {
            const found = await outcomes(userId, codeId);
            return found.length > 0 && found;
          },
          { timeoutMs: 20_000, description: `the outcome of ${codeId}` },
        ),
      ),
    );
    expect(outcomesOf.map(([outcome]) => [outcome.type, outcome.data.reason])).toEqual(
      added.map(() => ['CodeDeliveryAccepted', undefined]),
    );
    const sent = readOutbox(join(dataDir, 'outbox.jsonl'));
    for (const { userId, codeId } of added) {
      expect(sent.filter((line) => line.codeId === codeId)).toHaveLength(1);
      expect(await outcomes(userId, codeId)).toHaveLength(1);
    }
    for (const running of [one, two]) expect(await running.stop()).toBe(0);
  }, 40_000);

  it('stops start-up after a bounded wait, naming an unreachable REDIS_URL without its password', async () => {
    const gone = await RedisServer.start();
    const port = new URL(gone.url).port;
    await gone.destroy();
    const started = startWorker({
      ...env(),
      REDIS_URL: `redis://:s3cret@127.0.0.1:${port}`,
      STARTUP_WAIT_MS: '1000',
    });
    const error = (await started.then(
      () => new Error('the worker started'),
      (e: Error) => e,
    )) as Error;
    expect(error.message).toMatch(/Worker exited with 1 before running/);
    expect(error.message).toMatch(/Redis is unreachable after 1000 ms/);
    expect(error.message).toContain(`REDIS_URL: redis://:***@127.0.0.1:${port}`);
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toMatch(/^\s+at /m); // a message, not a stack trace
  });

  it('runs a private redis-server under DATA_DIR when REDIS_URL is unset, and stops it on exit', async () => {
    const socket = join(dataDir, 'redis', 'redis.sock');
    const running = await worker({ REDIS_URL: '' });
    expect(running.output()).toContain(`the private redis-server on ${socket}`);
    const { codeId } = await addPhone();
    await eventually(
      () => readOutbox(join(dataDir, 'outbox.jsonl')).find((l) => l.codeId === codeId) ?? false,
      {
        timeoutMs: 10_000,
        description: 'the code in the outbox',
      },
    );

    const listed = await cli(['dispatch', 'failed'], { ...env(), REDIS_URL: '' });
    expect(listed).toMatchObject({ code: 0, stdout: 'No failed dispatch jobs.\n' });

    running.process.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(await answersPing(socket)).toBe(false);
    const stopped = await cli(['dispatch', 'failed'], { ...env(), REDIS_URL: '' });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('it runs while the worker does');
  }, 20_000);

  it('stops with a message saying how to get Redis when there is no REDIS_URL and no redis-server', async () => {
    const started = startWorker({ ...env(), REDIS_URL: '', PATH: '/nonexistent' });
    await expect(started).rejects.toThrow(/Worker exited with 1 before running/);
    await expect(started).rejects.toThrow(/apt-get install redis-server[\s\S]*REDIS_URL=redis:\/\/host:6379/);
  });
});
