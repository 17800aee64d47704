// A real OpenID provider for the browser tests (panva's oidc-provider, its development login and consent pages):
// authorization code + PKCE for the Security info page as a public client, JWT access tokens for Signet's API
// (resource indicators), keys at /jwks. It listens first and prints its issuer, then reads the page's redirect URI
// as one line on stdin (the API's port is known only once the API, which needs the issuer, has started).
//
// Env: OIDC_CLIENT_ID, OIDC_AUDIENCE (the resource and the access token's aud).
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import Provider from 'oidc-provider';

const server = createServer((_request, response) => response.writeHead(503).end());
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
process.stdout.write(`OpenID provider at ${issuer}\n`);

const lines = createInterface({ input: process.stdin });
const redirectUri = await new Promise((resolve) => lines.once('line', resolve));
const audience = process.env.OIDC_AUDIENCE;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      token_endpoint_auth_method: 'none',
      redirect_uris: [redirectUri.trim()],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  pkce: { required: () => true },
  // Whoever signs in on the development login page is that account.
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, preferred_username: sub }) }),
  claims: { openid: ['sub', 'preferred_username'] },
  cookies: { keys: ['a test provider, not a secret of anyone'] },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'openid',
        audience,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
server.removeAllListeners('request');
server.on('request', provider.callback());
process.stdout.write('OpenID provider ready\n');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
