import { createSignetClient, type SignetClient } from '@signet/api-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkedFetch } from './support/openapi-contract';
import { build, cli, startApi, type RunningApi } from './support/processes';
import { codeFromOutbox } from './support/seed-flow';

/**
 * The seed flow through the client generated from the OpenAPI document (`@signet/api-client`), against
 * `npm start` (the API and the worker, the outbox provider): what a front end built on the document does.
 * Every answer is also checked against the document (checkedFetch).
 */
describe('The generated API client', () => {
  let dataDir: string;
  let signet: RunningApi;
  let client: SignetClient;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-client-'));
    signet = await startApi({ DATA_DIR: dataDir, REDIS_URL: '' }, 'launcher');
    const token = (await cli(['token', '--sub', 'frontend'], { DATA_DIR: dataDir })).stdout.trim();
    client = createSignetClient(signet.url, token, { fetch: checkedFetch });
  }, 60_000);

  afterAll(async () => {
    await signet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds a phone, verifies it with the texted code, reads the page, changes the default, deletes it', async () => {
    const added = await client.POST('/v1/me/security-info/phone-methods', {
      body: { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' },
    });
    expect(added.response.status).toBe(201);
    const { methodId, code: sent } = added.data!;
    expect(added.data).toMatchObject({
      status: 'pendingVerification',
      phoneNumber: '+1 4255550100',
      e164: '+14255550100',
    });

    const { code } = await codeFromOutbox(dataDir, sent.codeId);
    const path = { methodId };

    // A wrong code first: the refusal is typed, its code one a client can switch on.
    const wrong = await client.POST('/v1/me/security-info/phone-methods/{methodId}/verify', {
      params: { path },
      body: { code: code === '000000' ? '111111' : '000000' },
    });
    expect(wrong.response.status).toBe(400);
    expect(wrong.error).toMatchObject({ code: 'code-incorrect', attemptsRemaining: 4 });
    const etag = wrong.response.headers.get('etag')!;

    const verified = await client.POST('/v1/me/security-info/phone-methods/{methodId}/verify', {
      params: { path, header: { 'If-Match': etag } },
      body: { code },
    });
    expect(verified.response.status).toBe(200);
    expect(verified.data).toMatchObject({
      status: 'verified',
      defaultMethod: { methodId, deliveryMethod: 'sms' },
    });

    const page = await client.GET('/v1/me/security-info', {
      params: { query: { minPosition: verified.data!.position! } },
    });
    expect(page.response.headers.get('x-read-model-stale')).toBeNull();
    expect(page.data).toMatchObject({
      methods: [{ methodId, status: 'verified', isDefault: true }],
      defaultMethod: { methodId, label: 'Phone - text +1 4255550100' },
    });

    const changed = await client.PUT('/v1/me/security-info/default-method', {
      body: { methodId, deliveryMethod: 'voice' },
    });
    expect(changed.data).toMatchObject({
      changed: true,
      defaultMethod: { label: 'Phone - call +1 4255550100' },
    });

    const deleted = await client.DELETE('/v1/me/security-info/methods/{methodId}', { params: { path } });
    expect(deleted.data).toMatchObject({ methodId, deleted: true, defaultMethod: null });

    const again = await client.DELETE('/v1/me/security-info/methods/{methodId}', { params: { path } });
    expect(again.response.status).toBe(404);
    expect(again.error?.code).toBe('method-not-found');
  }, 40_000);
});
