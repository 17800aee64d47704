import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { SignetConfig } from '@signet/config';

/**
 * `signInService`: a trusted service in front of Signet (the identity provider, the password-reset service)
 * that challenges people with their registered phones (`/v1/users/{userId}/challenges`, `/v1/challenges/…`).
 * `privacyOfficer`: erases a person's personal data (`DELETE /v1/users/{userId}/personal-data`).
 * `authenticationAdministrator`: the help desk (Entra's role of that name), changing a person's methods for
 * them (`/v1/users/{userId}/security-info/…`), never reading audit trails. `authenticationPolicyAdministrator`:
 * sets the authentication methods policy for the whole deployment (`/v1/admin/authentication-methods-policy`).
 */
export const ROLES = [
  'user',
  'auditor',
  'operator',
  'admin',
  'signInService',
  'privacyOfficer',
  'authenticationAdministrator',
  'authenticationPolicyAdministrator',
] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the token's subject (the user id) and its roles. */
export interface Principal {
  subject: string;
  roles: Role[];
  /** How the caller signed in (the token's `auth_time`, `acr`, `amr`); absent where no token was read. */
  authentication?: SignInContext;
}

/** The sign-in a token speaks for (OpenID Connect), as step-up (RFC 9470) weighs it. */
export interface SignInContext {
  /** `auth_time` (Unix seconds); null when the token carries none. */
  authTime: number | null;
  acr: string | null;
  amr: string[];
  /** Seconds since `auth_time` when the token was verified (by the clock that checks `exp`); null without it. */
  ageSeconds: number | null;
}

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** A subject becomes part of a stream name, so it is held to a conservative shape. */
const SUBJECT = /^[A-Za-z0-9@._:|+-]{1,128}$/;

/** Whether a string may be a user id (a token's subject): routes naming a user hold it to the same shape. */
export function isValidSubject(subject: string): boolean {
  return SUBJECT.test(subject);
}

/** How far ahead of ours the issuer's clock may be: a token's `iat` may lie this far in the future. */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * Tokens whose signature and claims were verified, remembered (a person's page sends the same token with every
 * request): a hit skips the signature only; the times are checked again at every use.
 */
const VERIFIED_TOKENS = 2_000;
/**
 * For at most a minute (and never past `exp`): a key the identity provider withdraws from its JWKS stops
 * being honoured within a minute of jose's own JWKS cache letting it go, as it did before tokens were remembered.
 */
const VERIFIED_TOKEN_MS = 60_000;

/** What a token's times must satisfy beyond its signature. */
export interface TokenLifetimeRules {
  /** A token must carry `exp`, and may not live longer than this (from `iat`, or from now without one). */
  maxLifetimeSeconds: number;
  now?: () => number;
}

/** Verifies Bearer tokens: HS256 with the configured secret, or the identity provider's JWKS in production. */
export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly verified = new LRUCache<string, { payload: JWTPayload; until: number }>({
    max: VERIFIED_TOKENS,
  });

  constructor(
    private readonly jwt: SignetConfig['jwt'],
    private readonly lifetime: TokenLifetimeRules = { maxLifetimeSeconds: 86400 },
  ) {
    if (jwt.mode === 'secret') {
      this.key = jwt.secret;
      this.algorithms = ['HS256'];
    } else {
      this.key = createRemoteJWKSet(new URL(jwt.jwksUrl));
      this.algorithms = ['RS256', 'PS256', 'ES256', 'EdDSA'];
    }
  }

  async verify(token: string): Promise<Principal> {
    const remembered = this.verified.get(token);
    const payload =
      remembered && this.nowMs() < remembered.until ? remembered.payload : await this.verifiedPayload(token);
    this.checkLifetime(payload);
    if (typeof payload.sub !== 'string' || !SUBJECT.test(payload.sub)) {
      throw new InvalidTokenError('The token has no usable "sub" claim');
    }
    return {
      subject: payload.sub,
      roles: parseRoles(payload.roles),
      authentication: this.signInOf(payload),
    };
  }

  /** The signature and registered claims, checked by jose; the payload remembered once they pass. */
  private async verifiedPayload(token: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        issuer: this.jwt.issuer,
        audience: this.jwt.audience,
        // `exp` is held to the second (an expired token is refused at once); the skew is allowed on `iat` only.
        requiredClaims: ['exp'],
      };
      // The two overloads of jwtVerify differ only in the key's type.
      payload =
        this.key instanceof Uint8Array
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch (error) {
      throw new InvalidTokenError((error as Error).message);
    }
    // Never remembered past its `exp` (checked again at every use anyway, with the rest of its times).
    const now = this.nowMs();
    const until = Math.min(typeof payload.exp === 'number' ? payload.exp * 1000 : 0, now + VERIFIED_TOKEN_MS);
    if (until > now) this.verified.set(token, { payload, until }, { ttl: until - now });
    return payload;
  }

  private nowMs(): number {
    return this.lifetime.now?.() ?? Date.now();
  }

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** A malformed `auth_time`, or one in the future beyond the skew, is refused like a bad `iat`. */
  private signInOf(payload: JWTPayload): SignInContext {
    const now = this.nowSeconds();
    const authTime = payload.auth_time;
    if (authTime !== undefined && (typeof authTime !== 'number' || !Number.isFinite(authTime))) {
      throw new InvalidTokenError('The token\'s "auth_time" is not a time');
    }
    if (typeof authTime === 'number' && authTime > now + CLOCK_SKEW_SECONDS) {
      throw new InvalidTokenError('The token says its person signs in in the future');
    }
    const amr = Array.isArray(payload.amr)
      ? payload.amr.filter((m): m is string => typeof m === 'string')
      : [];
    return {
      authTime: typeof authTime === 'number' ? authTime : null,
      acr: typeof payload.acr === 'string' ? payload.acr : null,
      amr,
      ageSeconds: typeof authTime === 'number' ? Math.max(0, now - authTime) : null,
    };
  }

  /** Tokens issued in the future, or living longer than allowed, are refused (a stolen one must not last). */
  private checkLifetime(payload: JWTPayload): void {
    const now = this.nowSeconds();
    if (typeof payload.exp !== 'number') throw new InvalidTokenError('The token has no "exp" claim');
    // jose's own check, repeated for a remembered token (same words).
    if (payload.exp <= now) throw new InvalidTokenError('"exp" claim timestamp check failed');
    if (
      payload.iat !== undefined &&
      (typeof payload.iat !== 'number' || payload.iat > now + CLOCK_SKEW_SECONDS)
    ) {
      throw new InvalidTokenError('The token is issued in the future');
    }
    const from = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
    if (payload.exp - from > this.lifetime.maxLifetimeSeconds) {
      throw new InvalidTokenError(
        `The token lives longer than the ${this.lifetime.maxLifetimeSeconds} s allowed`,
      );
    }
  }
}

/** `roles` may be an array or a space-separated string; unknown roles are dropped; none means `user`. */
export function parseRoles(claim: unknown): Role[] {
  const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : ['user'];
  return ROLES.filter((role) => names.includes(role));
}

/**
 * Signs a token with the configured HS256 secret (the embedded default and tests; never the JWKS mode). It
 * says its person signed in just now (`auth_time`) unless `authTime` (Unix seconds) says when.
 */
export async function issueToken(
  jwt: SignetConfig['jwt'],
  claims: {
    subject: string;
    roles: Role[];
    ttlSeconds?: number;
    authTime?: number;
    acr?: string;
    amr?: string[];
  },
): Promise<string> {
  if (jwt.mode !== 'secret') {
    throw new Error(
      'Tokens can only be issued with JWT_SECRET; with JWT_JWKS_URL your identity provider issues them.',
    );
  }
  if (!SUBJECT.test(claims.subject))
    throw new Error(`"${claims.subject}" is not a valid subject (letters, digits, @._:|+-)`);
  const signIn = {
    auth_time: claims.authTime ?? Math.floor(Date.now() / 1000),
    ...(claims.acr ? { acr: claims.acr } : {}),
    ...(claims.amr?.length ? { amr: claims.amr } : {}),
  };
  let token = new SignJWT({ roles: claims.roles, ...signIn })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`);
  if (jwt.issuer) token = token.setIssuer(jwt.issuer);
  if (jwt.audience) token = token.setAudience(jwt.audience);
  return token.sign(jwt.secret);
}
