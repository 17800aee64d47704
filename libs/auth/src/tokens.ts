import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { SignetConfig } from '@signet/config';

export const ROLES = ['user', 'auditor', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the token's subject (the user id) and its roles. */
export interface Principal {
  subject: string;
  roles: Role[];
}

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** A subject becomes part of a stream name, so it is held to a conservative shape. */
const SUBJECT = /^[A-Za-z0-9@._:|+-]{1,128}$/;

/** Verifies Bearer tokens: HS256 with the configured secret, or the identity provider's JWKS in production. */
export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly jwt: SignetConfig['jwt']) {
    if (jwt.mode === 'secret') {
      this.key = jwt.secret;
      this.algorithms = ['HS256'];
    } else {
      this.key = createRemoteJWKSet(new URL(jwt.jwksUrl));
      this.algorithms = ['RS256', 'PS256', 'ES256', 'EdDSA'];
    }
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = { algorithms: this.algorithms, issuer: this.jwt.issuer, audience: this.jwt.audience };
      // The two overloads of jwtVerify differ only in the key's type.
      payload =
        this.key instanceof Uint8Array
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch (error) {
      throw new InvalidTokenError((error as Error).message);
    }
    if (typeof payload.sub !== 'string' || !SUBJECT.test(payload.sub)) {
      throw new InvalidTokenError('The token has no usable "sub" claim');
    }
    return { subject: payload.sub, roles: parseRoles(payload.roles) };
  }
}

/** `roles` may be an array or a space-separated string; unknown roles are dropped; none means `user`. */
export function parseRoles(claim: unknown): Role[] {
  const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : ['user'];
  return ROLES.filter((role) => names.includes(role));
}

/** Signs a token with the configured HS256 secret (the embedded default and tests; never the JWKS mode). */
export async function issueToken(
  jwt: SignetConfig['jwt'],
  claims: { subject: string; roles: Role[]; ttlSeconds?: number },
): Promise<string> {
  if (jwt.mode !== 'secret') {
    throw new Error(
      'Tokens can only be issued with JWT_SECRET; with JWT_JWKS_URL your identity provider issues them.',
    );
  }
  if (!SUBJECT.test(claims.subject))
    throw new Error(`"${claims.subject}" is not a valid subject (letters, digits, @._:|+-)`);
  let token = new SignJWT({ roles: claims.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`);
  if (jwt.issuer) token = token.setIssuer(jwt.issuer);
  if (jwt.audience) token = token.setAudience(jwt.audience);
  return token.sign(jwt.secret);
}
