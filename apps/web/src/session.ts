import * as oauth from 'oauth4webapi';
import type { Command } from './api';
import type { StepUpChallenge } from './step-up';

/** How the page signs people in, as the API that served it says (meta tags it fills in). */
export type SignInMode =
  { kind: 'development' } | { kind: 'oidc'; issuer: string; clientId: string } | { kind: 'none' };

export function signInMode(): SignInMode {
  const meta = (name: string) =>
    document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
  const kind = meta('signet-sign-in');
  if (kind === 'oidc') {
    return { kind, issuer: meta('signet-oidc-issuer'), clientId: meta('signet-oidc-client-id') };
  }
  return kind === 'development' ? { kind } : { kind: 'none' };
}

/** Who is signed in. The token lives in memory only: a reload signs in again (the provider's session helps). */
export interface Session {
  userName: string;
  token: string;
}

/** The page's address, which is also the redirect URI registered at the provider. */
export const redirectUri = () => `${location.origin}${location.pathname}`;

/** What survives the round trip to the provider (sessionStorage: never a token). */
interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  maxAge?: number;
  /** A command the provider's step-up interrupted: sent again, once, on return. */
  command?: Command;
}
const PENDING = 'signet.sign-in';

/** http:// issuers are for a provider on this machine only (tests, a local Keycloak). */
function insecureAllowed(issuer: URL) {
  return issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
}

async function discover(mode: Extract<SignInMode, { kind: 'oidc' }>) {
  const issuer = new URL(mode.issuer);
  const options = { [oauth.allowInsecureRequests]: insecureAllowed(issuer) };
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...options });
  const server = await oauth.processDiscoveryResponse(issuer, response);
  return { server, client: { client_id: mode.clientId } satisfies oauth.Client, options };
}

/**
 * Leaves for the provider's authorization endpoint (authorization code + PKCE). On step-up, with the
 * challenge's max_age and acr_values and the command to retry once back.
 */
export async function startOidcSignIn(
  mode: Extract<SignInMode, { kind: 'oidc' }>,
  stepUp?: { challenge: StepUpChallenge; command: Command },
): Promise<never> {
  const { server, client } = await discover(mode);
  const pending: PendingSignIn = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    codeVerifier: oauth.generateRandomCodeVerifier(),
    maxAge: stepUp?.challenge.maxAge,
    command: stepUp?.command,
  };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(server.authorization_endpoint!);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', 'openid');
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (stepUp?.challenge.maxAge !== undefined)
    url.searchParams.set('max_age', String(stepUp.challenge.maxAge));
  if (stepUp?.challenge.acrValues) url.searchParams.set('acr_values', stepUp.challenge.acrValues);
  location.assign(url);
  return new Promise<never>(() => undefined);
}

/**
 * Back from the provider (`?code=…&state=…` on the page's address): exchanges the code for tokens and cleans
 * the address. Null when this is not such a return.
 */
export async function finishOidcSignIn(
  mode: Extract<SignInMode, { kind: 'oidc' }>,
): Promise<{ session: Session; command?: Command } | null> {
  const here = new URL(location.href);
  const stored = sessionStorage.getItem(PENDING);
  if (!stored || (!here.searchParams.has('code') && !here.searchParams.has('error'))) return null;
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', redirectUri());
  const pending = JSON.parse(stored) as PendingSignIn;
  const { server, client, options } = await discover(mode);
  const parameters = oauth.validateAuthResponse(server, client, here, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    server,
    client,
    oauth.None(),
    parameters,
    redirectUri(),
    pending.codeVerifier,
    options,
  );
  const result = await oauth.processAuthorizationCodeResponse(server, client, response, {
    expectedNonce: pending.nonce,
    requireIdToken: true,
    ...(pending.maxAge !== undefined ? { maxAge: pending.maxAge } : {}),
  });
  const claims = oauth.getValidatedIdTokenClaims(result)!;
  const name = claims.preferred_username ?? claims.name ?? claims.sub;
  return {
    session: { userName: String(name), token: result.access_token },
    command: pending.command,
  };
}
