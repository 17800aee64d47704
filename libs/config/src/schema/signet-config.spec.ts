import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutPassword } from '../connection-string';
import { ConfigError } from '../startup-errors';
import { loadConfig } from './signet-config';

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'signet-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs on defaults with nothing configured but DATA_DIR', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 3000,
      dataDir,
      policy: { codeTtlSeconds: 600, resendCooldownSeconds: 60, maxVerifyAttempts: 5, maxCodesPerHour: 5 },
      jwt: { mode: 'secret' },
      eventStore: { filename: join(dataDir, 'events.sqlite'), synchronous: 'FULL', writer: 'inline' },
      generatedSecrets: ['CODE_SECRET', 'DATA_KEY_SECRET', 'JWT_SECRET'],
      personalData: { generated: true, keyStore: { filename: join(dataDir, 'keys.sqlite') } },
    });
  });

  it('generates secrets once and reuses them, so tokens and codes survive a restart', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.codeSecret.equals(first.codeSecret)).toBe(true);
    expect(first.codeSecret).toHaveLength(32);
    expect(readFileSync(join(dataDir, 'code-secret.key'), 'utf8')).toHaveLength(64);
  });

  it('needs DATA_KEY_SECRET with MONGO_URL, of 32 bytes; keeps the previous one during a rotation', () => {
    const mongo = { DATA_DIR: dataDir, MONGO_URL: 'mongodb://db:27017/signet' };
    expect(() => loadConfig(mongo)).toThrow(/DATA_KEY_SECRET is required with MONGO_URL/);
    expect(() => loadConfig({ ...mongo, DATA_KEY_SECRET: 'ab'.repeat(40) })).toThrow(
      /must decode to 32 bytes/,
    );
    const config = loadConfig({
      ...mongo,
      DATA_KEY_SECRET: 'ab'.repeat(32),
      DATA_KEY_PREVIOUS_SECRET: 'cd'.repeat(32),
    });
    expect(config.personalData).toMatchObject({
      masterKey: Buffer.from('ab'.repeat(32), 'hex'),
      previousMasterKeys: [Buffer.from('cd'.repeat(32), 'hex')],
      generated: false,
      keyStore: { url: 'mongodb://db:27017/signet' },
    });
  });

  it('takes configured values', () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '8080',
      CODE_TTL_SECONDS: '300',
      RESEND_COOLDOWN_SECONDS: '30',
      MAX_VERIFY_ATTEMPTS: '3',
      JWT_SECRET: 's'.repeat(32),
      CODE_SECRET: 'ab'.repeat(32),
      DATA_KEY_SECRET: 'cd'.repeat(32),
      EVENTSTORE_SQLITE_SYNCHRONOUS: 'NORMAL',
    });
    expect(config.port).toBe(8080);
    expect(config.policy).toMatchObject({
      codeTtlSeconds: 300,
      resendCooldownSeconds: 30,
      maxVerifyAttempts: 3,
    });
    expect(config.codeSecret).toEqual(Buffer.from('ab'.repeat(32), 'hex'));
    expect(config.generatedSecrets).toEqual([]);
    expect(config.eventStore.synchronous).toBe('NORMAL');
  });

  it('uses a JWKS URL instead of a secret in production', () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      JWT_JWKS_URL: 'https://login.example.com/keys',
      JWT_ISSUER: 'iss',
    });
    expect(config.jwt).toEqual({
      mode: 'jwks',
      jwksUrl: 'https://login.example.com/keys',
      issuer: 'iss',
      audience: undefined,
    });
  });

  it('names every bad variable and hides secrets in the message', () => {
    let error: unknown;
    try {
      loadConfig({
        DATA_DIR: dataDir,
        PORT: 'http',
        MAX_VERIFY_ATTEMPTS: '0',
        JWT_SECRET: 'short',
        EVENTSTORE_SQLITE_SYNCHRONOUS: 'OFF',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="http"');
    expect(message).toContain('MAX_VERIFY_ATTEMPTS="0"');
    expect(message).toContain('EVENTSTORE_SQLITE_SYNCHRONOUS="OFF"');
    expect(message).toContain('JWT_SECRET=(hidden)');
    expect(message).not.toContain('short');
  });

  it('refuses a code secret shorter than 32 bytes', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir, CODE_SECRET: 'ab'.repeat(30) })).toThrow(/CODE_SECRET/);
  });
});

describe('withoutPassword', () => {
  it.each([
    ['esdb://admin:changeit@127.0.0.1:2113?tls=false', 'esdb://admin:***@127.0.0.1:2113?tls=false'],
    ['mongodb://reader:s3cret@db:27017/signet', 'mongodb://reader:***@db:27017/signet'],
    ['redis://:s3cret@cache:6379', 'redis://:***@cache:6379'],
    ['rediss://t0ken@cache:6380', 'rediss://***@cache:6380'],
    ['esdb://127.0.0.1:2113', 'esdb://127.0.0.1:2113'],
  ])('shows %s as %s', (url, shown) => {
    expect(withoutPassword(url)).toBe(shown);
  });
});
