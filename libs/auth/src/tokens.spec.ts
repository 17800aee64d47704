import * as jose from 'jose';
import { InvalidTokenError, issueToken, TokenVerifier } from './tokens';

jest.mock('jose', () => {
  const actual = jest.requireActual<typeof import('jose')>('jose');
  return { ...actual, jwtVerify: jest.fn(actual.jwtVerify) };
});

describe('TokenVerifier', () => {
  const jwt = {
    mode: 'secret' as const,
    secret: new TextEncoder().encode('a-secret-of-at-least-32-bytes....'),
  };
  const signatureChecks = jose.jwtVerify as jest.Mock;
  let offsetMs = 0;
  const verifier = () =>
    new TokenVerifier(jwt, { maxLifetimeSeconds: 3600, now: () => Date.now() + offsetMs });

  beforeEach(() => {
    offsetMs = 0;
    signatureChecks.mockClear();
  });

  it("checks a token's signature once, and its expiry at every use", async () => {
    const tokens = verifier();
    const token = await issueToken(jwt, { subject: 'alice', roles: ['user'], ttlSeconds: 60 });

    expect((await tokens.verify(token)).subject).toBe('alice');
    expect((await tokens.verify(token)).subject).toBe('alice');
    expect(signatureChecks).toHaveBeenCalledTimes(1);

    offsetMs = 61_000;
    await expect(tokens.verify(token)).rejects.toThrow(
      new InvalidTokenError('"exp" claim timestamp check failed'),
    );
  });

  it("checks a remembered token's signature again after a minute (a key withdrawn from the JWKS stops counting)", async () => {
    const tokens = verifier();
    const token = await issueToken(jwt, { subject: 'alice', roles: ['user'], ttlSeconds: 600 });

    await tokens.verify(token);
    offsetMs = 59_000;
    await tokens.verify(token);
    expect(signatureChecks).toHaveBeenCalledTimes(1);

    offsetMs = 61_000;
    await tokens.verify(token);
    expect(signatureChecks).toHaveBeenCalledTimes(2);
  });

  it('tells the age of the sign-in at every use, not as it was when first verified', async () => {
    const tokens = verifier();
    const token = await issueToken(jwt, { subject: 'alice', roles: ['user'], ttlSeconds: 600 });

    expect((await tokens.verify(token)).authentication?.ageSeconds).toBeLessThanOrEqual(1);
    offsetMs = 50_000;
    expect((await tokens.verify(token)).authentication?.ageSeconds).toBeGreaterThanOrEqual(50);
    expect(signatureChecks).toHaveBeenCalledTimes(1);
  });

  it('refuses a token at every use once refused, and one signed with another key', async () => {
    const tokens = verifier();
    const tooLong = await issueToken(jwt, { subject: 'alice', roles: ['user'], ttlSeconds: 7200 });
    await expect(tokens.verify(tooLong)).rejects.toThrow(InvalidTokenError);
    await expect(tokens.verify(tooLong)).rejects.toThrow(InvalidTokenError);

    const good = await issueToken(jwt, { subject: 'alice', roles: ['user'], ttlSeconds: 60 });
    await tokens.verify(good);
    const other = {
      mode: 'secret' as const,
      secret: new TextEncoder().encode('another-secret-of-32-bytes......'),
    };
    const forged = await issueToken(other, { subject: 'alice', roles: ['user'], ttlSeconds: 60 });
    await expect(tokens.verify(forged)).rejects.toThrow(InvalidTokenError);
  });
});
