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
  const sign = (claims: { iat?: number; exp?: number; auth_time?: unknown }) => {
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
    ['whose auth_time is not a time', () => ({ iat: now(), exp: now() + 60, auth_time: 'yesterday' })],
    [
      'whose person signs in an hour from now',
      () => ({ iat: now(), exp: now() + 60, auth_time: now() + 3600 }),
    ],
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

describe('npm run token: the sign-in it speaks for (auth_time, acr, amr)', () => {
  let dataDir: string;
  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-token-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const claimsOf = (token: string) =>
    JSON.parse(Buffer.from(token.trim().split('.')[1], 'base64url').toString()) as Record<string, unknown>;

  it('says its person signed in now by default, or when --auth-time says, with --acr and --amr', async () => {
    const before = Math.floor(Date.now() / 1000);
    const plain = claimsOf((await cli(['token', '--sub', 'alice'], { DATA_DIR: dataDir })).stdout);
    expect(plain.auth_time).toBeGreaterThanOrEqual(before);
    expect(plain).not.toHaveProperty('acr');

    const stale = await cli(
      ['token', '--sub', 'alice', '--auth-time', '-900s', '--acr', 'urn:signet:mfa', '--amr', 'pwd,otp'],
      { DATA_DIR: dataDir },
    );
    expect(claimsOf(stale.stdout)).toMatchObject({ acr: 'urn:signet:mfa', amr: ['pwd', 'otp'] });
    expect(claimsOf(stale.stdout).auth_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - 900);

    const fixed = await cli(['token', '--sub', 'alice', '--auth-time', '1764470000'], { DATA_DIR: dataDir });
    expect(claimsOf(fixed.stdout).auth_time).toBe(1764470000);
  });

  it('refuses an --auth-time it cannot read with exit 2', async () => {
    const result = await cli(['token', '--sub', 'alice', '--auth-time', 'yesterday'], { DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--auth-time');
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

describe('the development sign-in (POST /v1/dev/sign-in)', () => {
  const signIn = (app: SignetTestApp) =>
    app.http().post('/v1/dev/sign-in').send({ userName: 'mallory-wants-alice' });

  it('mints a token on the embedded default, whose JWT secret Signet generated itself', async () => {
    const app = await SignetTestApp.start();
    try {
      const answer = await signIn(app);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String) });
    } finally {
      await app.stop();
    }
  });

  it('is not there (404) when JWT_SECRET is set: the tokens come from elsewhere, and it would hand out every account', async () => {
    const app = await SignetTestApp.start({ JWT_SECRET: 'd'.repeat(64) });
    try {
      const answer = await signIn(app);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'route-not-found' });
    } finally {
      await app.stop();
    }
  });
});
