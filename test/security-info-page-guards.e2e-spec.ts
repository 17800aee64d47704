import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, pageSteps, recordAnswers, screenshot, type PageAnswer } from './support/browser';
import { checkedFetch, openApiContract } from './support/openapi-contract';
import { build, cli, startApi, type RunningApi } from './support/processes';

/** Short, so that a sign-in grows too old for step-up within the test. */
const MAX_AUTH_AGE_SECONDS = 4;

/** The `auth_time` of the Bearer token a request carried. */
const authTimeOf = (answer: PageAnswer) =>
  (
    JSON.parse(Buffer.from(answer.authorization!.split(' ')[1].split('.')[1], 'base64url').toString()) as {
      auth_time: number;
    }
  ).auth_time;

/**
 * The page under issue 12's guards, against the built launcher with a short MAX_AUTH_AGE_SECONDS (its own, so the
 * other page tests keep the default): the API's own step-up challenge met by the development sign-in, the
 * methods a changed authentication methods policy no longer allows (and does not offer to add), and the notice
 * after a privacy officer erased a person's personal data (issue 14).
 */
describe('the Security info page under step-up and the methods policy', () => {
  let dataDir: string;
  let signet: RunningApi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-page-guards-'));
    [signet, browser] = await Promise.all([
      startApi(
        { DATA_DIR: dataDir, REDIS_URL: '', MAX_AUTH_AGE_SECONDS: String(MAX_AUTH_AGE_SECONDS) },
        'launcher',
      ),
      launchChromium(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await signet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
    page = await context.newPage();
  });
  afterEach(() => context.close());

  const { dialog, accessible, signIn, addPhone, enterCode, methods, defaultMethod } = pageSteps(() => ({
    page,
    dataDir,
    url: signet.url,
  }));

  /** A token minted now (`auth_time` now) as `npm run token` mints it. */
  const token = async (sub: string, roles: string) =>
    (await cli(['token', '--sub', sub, '--roles', roles], { DATA_DIR: dataDir })).stdout.trim();

  const historyOf = async (userId: string) => {
    const auditor = await token('page-auditor', 'auditor');
    const history = await checkedFetch(`${signet.url}/v1/audit/users/${userId}/events`, {
      headers: { Authorization: `Bearer ${auditor}` },
    });
    return (
      (await history.json()) as {
        items: { type: string; data: { reason?: string }; authentication: { auth_time: number } | null }[];
      }
    ).items;
  };

  it("meets the API's step-up challenge with the development sign-in, and sends the command once more", async () => {
    await signIn('step-up-person');
    // Taken once signed in: the token's auth_time is no later (a time taken before could precede it by the
    // sign-in's own duration, and the sign-in would not yet be too old when the change is sent).
    const signedIn = Date.now();
    // The first phone needs no recent sign-in (the bootstrap).
    await enterCode(await addPhone('Phone', '+1 425 555 0170', 'Text me a code'));
    await dialog().getByRole('button', { name: 'Done' }).click();
    // The sign-in grows older than MAX_AUTH_AGE_SECONDS.
    await page.waitForTimeout(Math.max(0, signedIn + (MAX_AUTH_AGE_SECONDS + 1.5) * 1000 - Date.now()));

    const answers = await recordAnswers(page, '**/v1/me/security-info/default-method');
    await page.getByRole('button', { name: 'Change' }).click();
    await dialog()
      .getByLabel('Which method would you like to use to sign in?')
      .selectOption({ label: 'Phone - call +1 4255550170' });
    const confirm = dialog().getByRole('button', { name: 'Confirm' });
    await confirm.click();
    const again = page.getByRole('dialog', { name: 'Sign in again' });
    await again.getByText('To make this change, sign in again.').waitFor();
    await accessible('step-up');
    await screenshot(page, 'step-up-sign-in-again');
    // Not signing in again: nothing is sent again, and the refusal is said in the person's words.
    await again.getByRole('button', { name: 'Cancel' }).click();
    await dialog()
      .getByText('This change needs a more recent or stronger sign-in.', { exact: false })
      .waitFor();
    await confirm.click();
    const signedInAgain = Math.floor(Date.now() / 1000);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Default sign-in method: Phone - call +1 4255550170').waitFor();

    // The API's own refusals (RFC 9470): the first try (cancelled) and the second try; then the same command
    // with the new sign-in's token.
    expect(answers.map((a) => a.status)).toEqual([401, 401, 200]);
    for (const answer of answers) openApiContract().check(answer);
    const refused = answers.slice(0, 2);
    for (const answer of refused) {
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_user_authentication", error_description="A more recent or stronger sign-in ' +
          `is required to change security info", max_age=${MAX_AUTH_AGE_SECONDS}`,
      );
      expect(JSON.parse(answer.text)).toMatchObject({ status: 401, code: 'step-up-required' });
      expect(authTimeOf(answer)).toBeLessThan(signedInAgain - MAX_AUTH_AGE_SECONDS);
    }
    const fresh = authTimeOf(answers[2]);
    expect(fresh).toBeGreaterThanOrEqual(signedInAgain);

    // Recorded once, with the fresh sign-in in its metadata.
    const changes = (await historyOf('step-up-person')).filter(
      (e) => e.type === 'DefaultChanged' && e.data.reason === 'user',
    );
    expect(changes.map((e) => e.authentication?.auth_time)).toEqual([fresh]);
  }, 60_000);

  it('marks a method the methods policy no longer allows, in both languages, and never offers it as the default', async () => {
    const userId = 'policy-page-person';
    await signIn(userId);
    await enterCode(await addPhone('Phone', '+1 425 555 0180', 'Text me a code'));
    await dialog().getByRole('button', { name: 'Done' }).click();

    // The help desk registers an office phone for the person (verified at once) and makes it the default.
    const helpDesk = {
      Authorization: `Bearer ${await token('help-desk', 'authenticationAdministrator')}`,
      'Content-Type': 'application/json',
    };
    const reason = 'Ticket 4711: the person asked for their desk phone';
    const office = await checkedFetch(`${signet.url}/v1/users/${userId}/security-info/phone-methods`, {
      method: 'POST',
      headers: helpDesk,
      body: JSON.stringify({
        phoneNumber: '+1 425 555 0189',
        phoneType: 'office',
        deliveryMethod: 'voice',
        reason,
      }),
    });
    expect(office.status).toBe(201);
    const { methodId } = (await office.json()) as { methodId: string };
    const defaulted = await checkedFetch(`${signet.url}/v1/users/${userId}/security-info/default-method`, {
      method: 'PUT',
      headers: helpDesk,
      body: JSON.stringify({ methodId, deliveryMethod: 'voice', reason }),
    });
    expect(defaulted.status).toBe(200);
    // The person starts adding an alternate phone, by call, and leaves it waiting for its code.
    const alternate = await checkedFetch(`${signet.url}/v1/me/security-info/phone-methods`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await token(userId, 'user')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        phoneNumber: '+1 425 555 0181',
        phoneType: 'alternateMobile',
        deliveryMethod: 'voice',
      }),
    });
    expect(alternate.status).toBe(201);
    await signIn(userId);
    expect(await defaultMethod()).toBe('Office phone - call +1 4255550189');
    await page.getByRole('button', { name: 'Enter the code for Alternate phone' }).waitFor();

    // The organisation turns calls off: the office and alternate phones take nothing else.
    const policy = await checkedFetch(`${signet.url}/v1/admin/authentication-methods-policy`, {
      method: 'PUT',
      headers: {
        Authorization: `Bearer ${await token('policy-admin', 'authenticationPolicyAdministrator')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        methods: {
          sms: { state: 'enabled' },
          voice: { state: 'disabled' },
          officePhone: { state: 'enabled' },
        },
        allowedCallingCodes: [],
        deniedCallingCodes: [],
      }),
    });
    expect(policy.status).toBe(200);

    await signIn(userId);
    expect(await methods()).toEqual([
      expect.stringMatching(/^Phone\s+\+1 4255550180\s+Added /),
      expect.stringMatching(/^Office phone\s+\+1 4255550189\s+Not allowed by your organisation\s/),
      expect.stringMatching(/^Alternate phone\s+\+1 4255550181\s+Not allowed by your organisation\s/),
    ]);
    // It receives no codes: the waiting phone can only be deleted.
    expect(await page.getByRole('button', { name: 'Enter the code for Alternate phone' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Delete Alternate phone' }).waitFor();
    expect(await defaultMethod()).toBe('Phone - text +1 4255550180');
    await accessible('method not allowed by policy');
    await screenshot(page, 'not-allowed-by-policy');
    await page.getByRole('button', { name: 'Change' }).click();
    const choice = dialog().getByLabel('Which method would you like to use to sign in?');
    await choice.waitFor();
    const choices = choice.locator('option');
    expect(await choices.allInnerTexts()).toEqual(['Phone - text +1 4255550180']);
    await dialog().getByRole('button', { name: 'Cancel' }).click();

    // Add method offers only what the policy allows: with calls off, neither the alternate nor the office phone
    // (they take calls only), and the phone by text only (the page's allowedMethodTypes).
    await page.getByRole('button', { name: 'Add method' }).click();
    const types = dialog().getByLabel('Which method would you like to add?');
    await types.waitFor();
    expect(await types.locator('option').allInnerTexts()).toEqual(['Choose a method', 'Phone']);
    await types.selectOption({ label: 'Phone' });
    await dialog().getByRole('button', { name: 'Add', exact: true }).click();
    await dialog().getByRole('heading', { name: 'Phone' }).waitFor();
    expect(await dialog().getByRole('radio').count()).toBe(1);
    expect(await dialog().getByRole('radio', { name: 'Text me a code' }).isChecked()).toBe(true);
    await accessible('add a method under the policy');
    await dialog().getByRole('button', { name: 'Back' }).click();
    await dialog().getByRole('button', { name: 'Cancel' }).click();

    const french = await browser.newContext({ locale: 'fr-FR' });
    try {
      page = await french.newPage();
      await page.goto(signet.url);
      await page.getByLabel('Nom d’utilisateur').fill(userId);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.getByRole('heading', { name: 'Informations de sécurité' }).waitFor();
      expect(await methods()).toEqual([
        expect.stringMatching(/^Téléphone\s+\+1 4255550180\s+Ajouté le /),
        expect.stringMatching(
          /^Téléphone de bureau\s+\+1 4255550189\s+Non autorisé par votre organisation\s/,
        ),
        expect.stringMatching(/^Autre téléphone\s+\+1 4255550181\s+Non autorisé par votre organisation\s/),
      ]);
    } finally {
      await french.close();
    }
  }, 60_000);

  it('tells a person whose personal data was erased, in both languages, and still after they add a phone again', async () => {
    const userId = 'erased-page-person';
    // The help desk registers the person's phone, verified at once (no code: none holds up the next one).
    const registered = await checkedFetch(`${signet.url}/v1/users/${userId}/security-info/phone-methods`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await token('help-desk', 'authenticationAdministrator')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        phoneNumber: '+1 425 555 0190',
        phoneType: 'mobile',
        deliveryMethod: 'sms',
        reason: 'Ticket 4712: set up by phone',
      }),
    });
    expect(registered.status).toBe(201);
    await signIn(userId);
    expect(await methods()).toEqual([expect.stringMatching(/^Phone\s+\+1 4255550190\s/)]);
    expect(await page.getByTestId('erased-notice').count()).toBe(0);

    // A privacy officer erases the person's personal data (the API's own answer, checked against the contract).
    const erased = await checkedFetch(`${signet.url}/v1/users/${userId}/personal-data`, {
      method: 'DELETE',
      headers: {
        Authorization: `Bearer ${await token('dpo', 'privacyOfficer')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ reason: 'GDPR Art. 17 request #99' }),
    });
    expect(erased.status).toBe(202);

    await signIn(userId);
    const notice = page.getByTestId('erased-notice');
    expect(await notice.innerText()).toMatch(
      /^Your personal data was erased on .+\. Methods you had before are gone; add a sign-in method to continue\.$/,
    );
    expect(await notice.getAttribute('role')).toBe('note');
    await page.getByText('You have no sign-in methods yet. Add one.').waitFor();
    expect(await methods()).toEqual([]);
    expect(await page.content()).not.toContain('0190');
    await accessible('personal data erased');
    await screenshot(page, 'personal-data-erased');

    // The person registers again: the new phone shows, and the notice still says why the old one is gone.
    await enterCode(await addPhone('Phone', '+1 425 555 0191', 'Text me a code'));
    await dialog().getByRole('button', { name: 'Done' }).click();
    expect(await methods()).toEqual([expect.stringMatching(/^Phone\s+\+1 4255550191\s+Added /)]);
    expect(await notice.innerText()).toMatch(
      /^Your personal data was erased on .+\. Methods you had before are gone\.$/,
    );
    await accessible('personal data erased, a phone added again');

    const french = await browser.newContext({ locale: 'fr-FR' });
    try {
      page = await french.newPage();
      await page.goto(signet.url);
      await page.getByLabel('Nom d’utilisateur').fill(userId);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.getByRole('heading', { name: 'Informations de sécurité' }).waitFor();
      expect(await page.getByTestId('erased-notice').innerText()).toMatch(
        /^Vos données personnelles ont été effacées le .+\. Les méthodes que vous aviez auparavant ont disparu\.$/,
      );
    } finally {
      await french.close();
    }
  }, 60_000);
});
