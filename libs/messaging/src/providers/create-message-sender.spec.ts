import { ConfigError, loadConfig } from '@signet/config';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageSender } from './create-message-sender';
import { HttpSender } from './http/http-sender';
import { OutboxSender, readOutbox } from './outbox/outbox-sender';
import { TwilioSender } from './twilio/twilio-sender';

describe('choosing and configuring the provider', () => {
  let dataDir: string;
  const config = (env: Record<string, string> = {}) => loadConfig({ DATA_DIR: dataDir, ...env });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'signet-messaging-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('defaults to the outbox in DATA_DIR, with the dispatch defaults', () => {
    const { dispatch } = config();
    expect(createMessageSender(dispatch)).toBeInstanceOf(OutboxSender);
    expect(dispatch).toMatchObject({
      // No REDIS_URL: the worker's private redis-server, on a unix socket in DATA_DIR.
      redisUrl: join(dataDir, 'redis', 'redis.sock'),
      privateRedis: { dir: join(dataDir, 'redis'), socket: join(dataDir, 'redis', 'redis.sock') },
      provider: { name: 'outbox', filename: join(dataDir, 'outbox.jsonl') },
      otpDomain: 'localhost',
      concurrency: 20,
      maxAttempts: 5,
      limits: {
        perDestinationPerHour: 5,
        perDestinationPerDay: 10,
        allowedCallingCodes: [],
        deniedCallingCodes: [],
      },
    });
  });

  it('picks the http and twilio providers, and reads the country lists', () => {
    const http = config({
      SMS_PROVIDER: 'http',
      SMS_HTTP_URL: 'https://sms.example.com/send',
      SMS_HTTP_SECRET: 'x'.repeat(32),
      DISPATCH_DENIED_CALLING_CODES: '7, 234',
    }).dispatch;
    expect(createMessageSender(http)).toBeInstanceOf(HttpSender);
    expect(config({ REDIS_URL: 'redis://cache.internal:6380' }).dispatch).toMatchObject({
      redisUrl: 'redis://cache.internal:6380',
      privateRedis: null,
    });
    expect(http.limits.deniedCallingCodes).toEqual(['7', '234']);
    const twilio = config({
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM: '+14255550000',
    }).dispatch;
    expect(createMessageSender(twilio)).toBeInstanceOf(TwilioSender);
  });

  it('refuses a provider without what it needs, naming each variable and hiding secrets', () => {
    expect(() => config({ SMS_PROVIDER: 'http' })).toThrow(ConfigError);
    expect(() => config({ SMS_PROVIDER: 'twilio', TWILIO_AUTH_TOKEN: 'short' })).toThrow(
      /TWILIO_ACCOUNT_SID[\s\S]*TWILIO_FROM/,
    );
    expect(() => config({ SMS_PROVIDER: 'pigeon' })).toThrow(/SMS_PROVIDER/);
    expect(() => config({ SMS_HTTP_SECRET: 'too-short' })).toThrow(/SMS_HTTP_SECRET=\(hidden\)/);
    expect(() => config({ DISPATCH_ALLOWED_CALLING_CODES: 'US' })).toThrow(/DISPATCH_ALLOWED_CALLING_CODES/);
    expect(() => config({ REDIS_URL: 'http://localhost' })).toThrow(/REDIS_URL/);
  });

  it('writes one outbox line per code, even when a code is sent again', async () => {
    const outbox = new OutboxSender(
      join(dataDir, 'outbox.jsonl'),
      () => new Date('2030-01-01T09:00:00.000Z'),
    );
    const message = { to: '+14255550100', channel: 'sms' as const, body: 'b', codeId: 'c1', reference: 'r' };
    const first = await outbox.send(message);
    const again = await outbox.send(message);
    await outbox.send({ ...message, codeId: 'c2' });
    expect(again).toEqual(first);
    expect(readOutbox(join(dataDir, 'outbox.jsonl'))).toEqual([
      { to: '+14255550100', channel: 'sms', body: 'b', codeId: 'c1', sentAt: '2030-01-01T09:00:00.000Z' },
      { to: '+14255550100', channel: 'sms', body: 'b', codeId: 'c2', sentAt: '2030-01-01T09:00:00.000Z' },
    ]);
  });
});
