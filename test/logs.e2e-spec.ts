import { eventually } from '@signet/testing';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, cli, startApi, startWorker, type RunningApi, type RunningProcess } from './support/processes';

/**
 * The built API and worker log JSON lines by default, every request line with correlationId, requestId, userId
 * and route; no line holds a code, a token or a full phone number; bad bytes cost one short line at most.
 */
describe('Logs', () => {
  let dataDir: string;
  let api: RunningApi;
  let worker: RunningProcess;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-logs-'));
    // LOG_LEVEL=debug: even the chattiest level keeps secrets out.
    api = await startApi({ DATA_DIR: dataDir, LOG_LEVEL: 'debug' });
    worker = await startWorker({ DATA_DIR: dataDir, LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the seed flow and logs it as JSON lines that never hold the code, the token or the number', async () => {
    const token = (await cli(['token', '--sub', 'logged-person'], { DATA_DIR: dataDir })).stdout.trim();
    const headers = {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      'X-Correlation-Id': 'corr-logs-1',
    };
    const base = `${api.url}/v1/me/security-info`;
    const added = await fetch(`${base}/phone-methods`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ phoneNumber: '+1 425 555 0142', phoneType: 'mobile', deliveryMethod: 'sms' }),
    });
    expect(added.status).toBe(201);
    const { methodId, code: sent } = (await added.json()) as { methodId: string; code: { codeId: string } };
    const outbox = join(dataDir, 'outbox.jsonl');
    const message = await eventually(
      () =>
        (existsSync(outbox) ? readFileSync(outbox, 'utf8').trim().split('\n') : [])
          .map((l) => JSON.parse(l) as { codeId: string; body: string })
          .find((m) => m.codeId === sent.codeId) ?? false,
      { timeoutMs: 20_000, description: 'the code in the outbox' },
    );
    const code = /\b(\d{6})\b/.exec(message.body)![1];
    // A wrong code first (refusals are logged too), then the right one.
    const wrong = code === '000000' ? '111111' : '000000';
    for (const attempt of [wrong, code]) {
      await fetch(`${base}/phone-methods/${methodId}/verify`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ code: attempt }),
      });
    }
    expect((await fetch(base, { headers })).status).toBe(200);
    const requestLines = () =>
      api
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => 'req' in l);
    await eventually(() => requestLines().length >= 4, { description: 'the seed flow logged' });
    // Bad bytes: each one short line at most.
    const linesBefore = api.output().trim().split('\n').length;
    await fetch(`${base}/phone-methods`, {
      method: 'POST',
      headers: { ...headers, 'Content-Encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(5 << 20, 0x20)),
    });
    await fetch(`${base}/phone-methods`, { method: 'POST', headers, body: '['.repeat(5000) });
    await fetch(`${base}/phone-methods`, { method: 'POST', headers, body: 'x'.repeat(1 << 20) });
    await eventually(() => requestLines().length >= 7, { description: 'the bad requests logged' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const apiLines = api.output().trim().split('\n');
    const badLines = apiLines.slice(linesBefore);
    expect(badLines).toHaveLength(3);
    for (const line of badLines) expect(line.length).toBeLessThan(600);

    const everything = api.output() + worker.output();
    for (const secret of [code, token, '4255550142', '+1 425 555 0142'])
      expect(everything).not.toContain(secret);
    for (const line of everything.trim().split('\n')) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed).toMatchObject({
        level: expect.any(String),
        time: expect.any(Number),
        msg: expect.any(String),
      });
    }

    const requests = requestLines();
    expect(requests).toHaveLength(7);
    for (const line of requests) {
      expect(line).toHaveProperty('correlationId');
      expect(line).toHaveProperty('requestId');
      expect(line).toHaveProperty('userId');
      expect(line).toHaveProperty('route');
    }
    const verify = requests.find((l) => String(l.msg).includes('/verify') && String(l.msg).includes(' 200 '));
    expect(verify).toMatchObject({
      correlationId: 'corr-logs-1',
      requestId: expect.any(String),
      userId: 'logged-person',
      route: '/v1/me/security-info/phone-methods/:methodId/verify',
    });
  });

  it('logs for people with LOG_FORMAT=pretty', async () => {
    const pretty = await startApi({ DATA_DIR: dataDir, LOG_FORMAT: 'pretty' });
    try {
      const first = pretty.output().trim().split('\n')[0];
      expect(() => JSON.parse(first) as unknown).toThrow();
      expect(pretty.output()).toMatch(/INFO.*Security info API on/);
    } finally {
      await pretty.stop();
    }
  });
});
