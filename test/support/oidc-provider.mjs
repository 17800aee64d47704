// A real OpenID provider for the browser tests (panva's oidc-provider): authorization code + PKCE for the Security
// info page as a first-party public client (no consent screen), a login page of its own, and JWT access tokens for
// Signet's API (resource indicators) that say how the person signed in (auth_time, acr, amr), keys at /jwks. It
// honours max_age itself (a session older than that logs in again); acr_values are met by the login that follows
// (acr, the first value asked for that the provider knows, else urn:signet:pwd). It listens first and prints its
// issuer, then reads the page's redirect URI as one line on stdin (the API's port is known only once the API,
// which needs the issuer, has started).
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
const clientId = process.env.OIDC_CLIENT_ID;
const ACR_VALUES = ['urn:signet:pwd', 'urn:signet:step-up'];

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      redirect_uris: [redirectUri.trim()],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  pkce: { required: () => true },
  acrValues: ACR_VALUES,
  // Whoever signs in on the login page is that account.
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, preferred_username: sub }) }),
  claims: { openid: ['sub', 'preferred_username'] },
  cookies: { keys: ['a test provider, not a secret of anyone'] },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // The page is the organisation's own: its grant needs no consent screen.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid');
    grant.addOIDCClaims(['preferred_username']);
    grant.addResourceScope(audience, 'openid');
    await grant.save();
    return grant;
  },
  // RFC 9068 access tokens carry no sign-in details of their own: these are the login's, as in the ID token.
  extraTokenClaims(ctx) {
    const code = ctx.oidc.entities.AuthorizationCode;
    return code ? { auth_time: code.authTime, acr: code.acr, amr: code.amr } : undefined;
  },
  features: {
    devInteractions: { enabled: false },
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

const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const loginPage = (uid) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in</title></head>
<body><main><h1>Sign-in</h1>
<form method="post" action="/interaction/${escape(uid)}">
<label>Login <input required name="login" autocomplete="username"></label>
<label>Password <input required type="password" name="password" autocomplete="current-password"></label>
<button type="submit">Sign-in</button>
</form></main></body></html>`;

/** The login page, and its answer: the account, and how it signed in (acr as asked, a password as amr). */
async function interaction(request, response, uid) {
  const details = await provider.interactionDetails(request, response);
  if (details.uid !== uid || details.prompt.name !== 'login') {
    response.writeHead(400, { 'Content-Type': 'text/plain' }).end(`unexpected prompt ${details.prompt.name}`);
    return;
  }
  if (request.method === 'GET') {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(loginPage(uid));
    return;
  }
  let body = '';
  for await (const chunk of request) body += chunk;
  const form = new URLSearchParams(body);
  const asked = String(details.params.acr_values ?? '').split(' ');
  const acr = asked.find((value) => ACR_VALUES.includes(value)) ?? 'urn:signet:pwd';
  await provider.interactionFinished(
    request,
    response,
    { login: { accountId: form.get('login'), acr, amr: ['pwd'] } },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();
server.removeAllListeners('request');
server.on('request', (request, response) => {
  const uid = /^\/interaction\/([\w-]+)$/.exec(new URL(request.url, issuer).pathname)?.[1];
  if (!uid) return callback(request, response);
  interaction(request, response, uid).catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    if (!response.headersSent) response.writeHead(500).end();
  });
});
process.stdout.write('OpenID provider ready\n');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
