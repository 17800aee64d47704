import { SignJWT } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, cli, startApi } from './support/processes';
import { SignetTestApp } from './support/signet-app';

/** Tokens must carry `exp` and live at most MAX_TOKEN_LIFETIME_SECONDS; odd operator input gets a clear answer. */
describe('Token lifetimes', () => {
  let signet: SignetTestApp;
  beforeAll(async () => {
    signet = await SignetTestApp.start({ MAX_TOKEN_LIFETIME_SECONDS: '86400' });
  });
  afterAll(() => signet.stop());

  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: { iat?: number; exp?: number }) => {
    if (signet.config.jwt.mode !== 'secret') throw new Error('secret mode expected');
    return new SignJWT({ sub: 'timed', roles: ['user'], ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(signet.config.jwt.secret);
  };
  const page = async (token: string) =>
    signet.http().get('/v1/me/security-info').set('Authorization', `Bearer ${token}`);

  it('takes a token living exactly the allowed 24 h, and a token without iat expiring within it', async () => {
    expect((await page(await sign({ iat: now(), exp: now() + 86400 }))).status).toBe(200);
    expect((await page(await sign({ exp: now() + 3600 }))).status).toBe(200);
  });

  it.each([
    ['without exp', () => ({ iat: now() })],
    ['living 48 h', () => ({ iat: now(), exp: now() + 2 * 86400 })],
    ['without iat, expiring in 48 h', () => ({ exp: now() + 2 * 86400 })],
    ['issued an hour in the future', () => ({ iat: now() + 3600, exp: now() + 7200 })],
    ['expired', () => ({ iat: now() - 7200, exp: now() - 3600 })],
  ])('refuses a token %s with 401 problem+json', async (_name, claims) => {
    const res = await page(await sign(claims()));
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/invalid_token/);
  });

  it('tolerates a small clock skew on iat', async () => {
    expect((await page(await sign({ iat: now() + 30, exp: now() + 3600 }))).status).toBe(200);
  });
});

describe('Odd operator input', () => {
  let signet: SignetTestApp;
  beforeAll(async () => {
    signet = await SignetTestApp.start();
  });
  afterAll(() => signet.stop());

  it.each(['12345678901234567890', '-1', 'abc', '1e3', '1.5'])(
    'a rebuild generation of %s is a 400 problem, never a 500',
    async (generation) => {
      const token = await signet.token('ops', ['operator']);
      const res = await signet
        .http()
        .get(`/v1/admin/projections/securityInfoPage/rebuilds/${generation}`)
        .set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('invalid-path-parameter');
    },
  );

  describe('an unwritable DATA_DIR at start', () => {
    let dir: string;
    let unwritable: string;
    beforeAll(async () => {
      await build();
      dir = mkdtempSync(join(tmpdir(), 'signet-unwritable-'));
      // A path under a plain file can never be made a directory, not even by root.
      writeFileSync(join(dir, 'file'), '');
      unwritable = join(dir, 'file', 'data');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('stops the CLI with exit 2 and a one-line message naming DATA_DIR', async () => {
      const result = await cli(['token', '--sub', 'x'], { DATA_DIR: unwritable });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('DATA_DIR');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    });

    it('stops the API with exit 2 and a one-line message naming DATA_DIR', async () => {
      const error = await startApi({ DATA_DIR: unwritable }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/exited with 2/);
      expect(error?.message).toContain('DATA_DIR');
      expect(error?.message).not.toMatch(/\n\s+at /);
    });
  });
});
