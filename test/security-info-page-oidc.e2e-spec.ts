import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  answerTo,
  launchChromium,
  recordAnswers,
  screenshot,
  seriousViolations,
  type PageAnswer,
} from './support/browser';
import { checkedFetch, openApiContract } from './support/openapi-contract';
import { build, cli, ROOT, startApi, type RunningApi } from './support/processes';
import { codeFromOutbox } from './support/seed-flow';

const CLIENT_ID = 'signet-security-info-page';
const AUDIENCE = 'urn:signet:api';
/** Short, so that the provider's session grows too old for step-up within the test. */
const MAX_AUTH_AGE_SECONDS = 4;
/** What the API asks of a change's sign-in (STEP_UP_ACR), which the provider's first login does not give. */
const STEP_UP_ACR = 'urn:signet:step-up';

/** How the person signed in, as the provider's access token behind a request says. */
const signInOf = (answer: PageAnswer) =>
  JSON.parse(Buffer.from(answer.authorization!.split(' ')[1].split('.')[1], 'base64url').toString()) as {
    auth_time: number;
    acr: string;
    amr: string[];
  };

/** Starts the OpenID provider (test/support/oidc-provider.mjs); resolves with its issuer once it listens. */
async function startProvider(): Promise<{ process: ChildProcess; issuer: string; ready: Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'test/support/oidc-provider.mjs')], {
    env: { ...process.env, OIDC_CLIENT_ID: CLIENT_ID, OIDC_AUDIENCE: AUDIENCE },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const seen = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const look = () => {
        const match = pattern.exec(output);
        if (match) resolve(match);
      };
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        look();
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => reject(new Error(`the OpenID provider exited with ${code}:\n${output}`)));
      look();
    });
  const [, issuer] = await seen(/OpenID provider at (\S+)/);
  return { process: child, issuer, ready: seen(/OpenID provider ready/).then(() => undefined) };
}

/**
 * Production sign-in: the page signs the person in with a real OpenID provider (authorization code + PKCE,
 * oauth4webapi), and the API verifies the provider's JWT access tokens through JWT_JWKS_URL; the development
 * sign-in is off. Against the built launcher (the codes in the outbox), with a short MAX_AUTH_AGE_SECONDS and
 * STEP_UP_ACR, so that the API's own step-up challenge sends the page back to the provider.
 */
describe('the Security info page with an OpenID provider', () => {
  let dataDir: string;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let signet: RunningApi;
  let browser: Browser;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-page-oidc-'));
    [provider, browser] = await Promise.all([startProvider(), launchChromium()]);
    signet = await startApi(
      {
        DATA_DIR: dataDir,
        REDIS_URL: '',
        JWT_JWKS_URL: `${provider.issuer}/jwks`,
        JWT_ISSUER: provider.issuer,
        JWT_AUDIENCE: AUDIENCE,
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        MAX_AUTH_AGE_SECONDS: String(MAX_AUTH_AGE_SECONDS),
        STEP_UP_ACR,
      },
      'launcher',
    );
    provider.process.stdin!.write(`${signet.url}/my-account/security-info\n`);
    await provider.ready;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await signet?.stop();
    provider?.process.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns the development sign-in off (404) when JWT_JWKS_URL is set', async () => {
    const answer = await checkedFetch(`${signet.url}/v1/dev/sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userName: 'anyone' }),
    });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ code: 'route-not-found' });
  });

  it("signs in with authorization code + PKCE, and meets the API's step-up challenge at the provider", async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    /** The provider's login page: any login, any password. */
    const logIn = async () => {
      await page.waitForURL((url) => url.origin === provider.issuer);
      await page.getByLabel('Login').fill('oidc-person');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign-in' }).click();
    };
    try {
      const served = await page.goto(signet.url);
      // The page may call the provider (discovery, token), and nothing else but its own origin.
      expect(served!.headers()['content-security-policy']).toContain(`connect-src 'self' ${provider.issuer}`);
      const authorizations: URL[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.origin === provider.issuer && url.searchParams.has('code_challenge'))
          authorizations.push(url);
      });
      await page.getByRole('button', { name: 'Sign in with your organisation' }).click();
      await logIn();
      // Taken once logged in: the provider's auth_time is no later (see the guards' spec).
      const signedIn = Date.now();
      expect(Object.fromEntries(authorizations[0].searchParams)).toMatchObject({
        client_id: CLIENT_ID,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: `${signet.url}/my-account/security-info`,
        code_challenge_method: 'S256',
        code_challenge: expect.stringMatching(/^[\w-]{43}$/),
        state: expect.any(String),
        nonce: expect.any(String),
      });
      expect(authorizations[0].searchParams.has('max_age')).toBe(false);

      await page.getByRole('heading', { name: 'Security info' }).waitFor();
      expect(page.url()).toBe(`${signet.url}/my-account/security-info`);
      await page.getByText('Signed in as oidc-person').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'oidc-signed-in');

      // A first phone with the provider's token, proved with its code (the bootstrap needs no step-up).
      await page.getByRole('button', { name: 'Add method' }).click();
      await page.getByLabel('Which method would you like to add?').selectOption({ label: 'Phone' });
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByLabel('Phone number').fill('+1 425 555 0160');
      const added = await answerTo(page, 'POST', /\/phone-methods$/, () =>
        page.getByRole('button', { name: 'Next' }).click(),
      );
      expect(added.status()).toBe(201);
      const { codeId } = ((await added.json()) as { code: { codeId: string } }).code;
      await page.getByRole('textbox', { name: 'Code' }).fill((await codeFromOutbox(dataDir, codeId)).code);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('button', { name: 'Done' }).click();
      // The provider's session grows older than MAX_AUTH_AGE_SECONDS.
      await page.waitForTimeout(Math.max(0, signedIn + (MAX_AUTH_AGE_SECONDS + 1.5) * 1000 - Date.now()));

      // Step-up: the API refuses the delete; the page goes back to the provider with max_age and acr_values,
      // the provider makes the person log in again (its session is older than max_age), and on return the
      // page sends the delete once more.
      const deletes = await recordAnswers(page, '**/v1/me/security-info/methods/*');
      await page.getByRole('button', { name: 'Delete Phone' }).click();
      await page.getByRole('button', { name: 'Yes' }).click();
      const loggedInAgain = Math.floor(Date.now() / 1000);
      await page.getByLabel('Login').waitFor();
      await screenshot(page, 'oidc-step-up-provider-login');
      await logIn();
      await page.getByText('You signed in again and your change was saved.').waitFor();
      await page.getByText('You have no sign-in methods yet').waitFor();
      expect(authorizations).toHaveLength(2);
      expect(authorizations[1].searchParams.get('max_age')).toBe(String(MAX_AUTH_AGE_SECONDS));
      expect(authorizations[1].searchParams.get('acr_values')).toBe(STEP_UP_ACR);

      expect(deletes.map((answer) => answer.status)).toEqual([401, 200]);
      for (const answer of deletes) openApiContract().check(answer);
      expect(deletes[0].headers['www-authenticate']).toBe(
        'Bearer error="insufficient_user_authentication", error_description="A more recent or stronger sign-in ' +
          `is required to change security info", max_age=${MAX_AUTH_AGE_SECONDS}, acr_values="${STEP_UP_ACR}"`,
      );
      expect(JSON.parse(deletes[0].text)).toMatchObject({ status: 401, code: 'step-up-required' });
      // The provider's tokens say how the person signed in: first with a password, then again as asked.
      const [first, again] = deletes.map(signInOf);
      expect(first).toMatchObject({ acr: 'urn:signet:pwd', amr: ['pwd'] });
      expect(first.auth_time).toBeLessThan(loggedInAgain - MAX_AUTH_AGE_SECONDS);
      expect(again).toMatchObject({ acr: STEP_UP_ACR, amr: ['pwd'] });
      expect(again.auth_time).toBeGreaterThanOrEqual(loggedInAgain);

      // Recorded once, with the new sign-in in its metadata (the history as `npm run cli` reads it: the API
      // takes only the provider's tokens here).
      const history = await cli(['audit', 'history', '--user', 'oidc-person', '--types', 'MethodDeleted'], {
        DATA_DIR: dataDir,
      });
      expect(history.code).toBe(0);
      const deleted = history.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { authentication: unknown }).authentication);
      expect(deleted).toEqual([{ auth_time: again.auth_time, acr: STEP_UP_ACR, amr: ['pwd'] }]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
