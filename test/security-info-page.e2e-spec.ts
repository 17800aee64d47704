import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { answerTo, launchChromium, pageSteps, screenshot } from './support/browser';
import { checkedFetch } from './support/openapi-contract';
import { build, cli, startApi, type RunningApi } from './support/processes';
import { codeFromOutbox } from './support/seed-flow';

/**
 * The Security info page in a real browser (Debian's Chromium, headless) against `npm start`'s API and worker on
 * the embedded stores: the seed's flow with the code read from the outbox, refusals, the resend countdown, a
 * double click, the keyboard alone, another language at 360 px, and an accessibility scan of every state.
 */
describe('the Security info page in a browser', () => {
  let dataDir: string;
  let signet: RunningApi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-page-'));
    [signet, browser] = await Promise.all([
      // A short resend cooldown to see the countdown end; no texts or calls to +44, to see a code blocked.
      startApi(
        {
          DATA_DIR: dataDir,
          REDIS_URL: '',
          RESEND_COOLDOWN_SECONDS: '3',
          DISPATCH_DENIED_CALLING_CODES: '44',
        },
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

  it('goes through the seed: add by text, add an office phone by call, change the default, delete', async () => {
    await page.goto(signet.url);
    expect(page.url()).toBe(`${signet.url}/my-account/security-info`);
    await accessible('sign in');
    await screenshot(page, 'seed-0-sign-in');
    await page.getByLabel('User name').fill('seed-person');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Security info' }).waitFor();
    expect(await defaultMethod()).toBe('none yet');
    await accessible('empty page');
    await screenshot(page, 'seed-1-security-info');

    // Phone, "Text me a code": the country select defaults from the browser's locale (en-US).
    await page.getByRole('button', { name: 'Add method' }).click();
    await dialog().getByLabel('Which method would you like to add?').selectOption({ label: 'Phone' });
    await dialog().getByRole('button', { name: 'Add', exact: true }).click();
    expect(await dialog().getByLabel('Country or region').inputValue()).toBe('US');
    await dialog().getByRole('button', { name: 'Back' }).click();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    const code = await addPhone('Phone', '425 555 0100', 'Text me a code', 'seed');
    await dialog().getByText('We just sent a 6 digit code to +1 XXXXXXXX00').waitFor();
    expect(await dialog().getByRole('textbox', { name: 'Code' }).getAttribute('autocomplete')).toBe(
      'one-time-code',
    );
    await accessible('enter the code');
    await screenshot(page, 'seed-4-enter-the-code');
    await enterCode(code);
    await dialog().getByText('Verification complete. Your phone was registered successfully.').waitFor();
    await accessible('verification complete');
    await screenshot(page, 'seed-5-verification-complete');
    await dialog().getByRole('button', { name: 'Done' }).click();
    expect(await methods()).toEqual([expect.stringMatching(/^Phone\s+\+1 4255550100/)]);
    // The first verified phone is the default.
    expect(await defaultMethod()).toBe('Phone - text +1 4255550100');
    await accessible('one phone');
    await screenshot(page, 'seed-6-default-shown');

    // An office phone, "Call me" (its only choice).
    await page.getByRole('button', { name: 'Add method' }).click();
    await dialog().getByLabel('Which method would you like to add?').selectOption({ label: 'Office phone' });
    await dialog().getByRole('button', { name: 'Add', exact: true }).click();
    expect(await dialog().getByRole('radio').count()).toBe(1);
    await dialog().getByRole('button', { name: 'Back' }).click();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    const officeCode = await addPhone('Office phone', '+1 425 555 0199', 'Call me');
    await dialog().getByText('We are calling +1 XXXXXXXX99').waitFor();
    await enterCode(officeCode);
    await dialog().getByRole('button', { name: 'Done' }).click();
    await page.getByText('Office phone', { exact: true }).waitFor();
    expect(await methods()).toHaveLength(2);
    expect(await defaultMethod()).toBe('Phone - text +1 4255550100');

    // Change → the drop-down of every choice → Confirm.
    await page.getByRole('button', { name: 'Change' }).click();
    await dialog().getByLabel('Which method would you like to use to sign in?').waitFor();
    const choices = dialog().getByLabel('Which method would you like to use to sign in?').locator('option');
    expect(await choices.allInnerTexts()).toEqual([
      'Phone - text +1 4255550100',
      'Phone - call +1 4255550100',
      'Office phone - call +1 4255550199',
    ]);
    await dialog()
      .getByLabel('Which method would you like to use to sign in?')
      .selectOption({ label: 'Office phone - call +1 4255550199' });
    await accessible('change default');
    await screenshot(page, 'seed-7-change-default');
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Default sign-in method: Office phone - call +1 4255550199').waitFor();
    await page
      .getByTestId('announcer')
      .getByText(/default sign-in method is now/)
      .waitFor();

    // Delete the default: a warning that there is no undo → Yes → the default moves to the phone.
    await page.getByRole('button', { name: 'Delete Office phone' }).click();
    await dialog().getByText('You cannot undo this').waitFor();
    await accessible('delete');
    await screenshot(page, 'seed-8-delete');
    await dialog().getByRole('button', { name: 'Yes' }).click();
    await dialog().waitFor({ state: 'detached' });
    expect(await methods()).toEqual([expect.stringMatching(/^Phone\s/)]);
    expect(await defaultMethod()).toMatch(/^Phone - (text|call) \+1 4255550100$/);

    // Delete the last one.
    await page.getByRole('button', { name: 'Delete Phone' }).click();
    await dialog().getByRole('button', { name: 'Yes' }).click();
    await page.getByText('You have no sign-in methods yet').waitFor();
    expect(await defaultMethod()).toBe('none yet');
  }, 90_000);

  it('shows a refusal beside its field, and a wrong code with the attempts left', async () => {
    await signIn('wrong-code-person');
    await page.getByRole('button', { name: 'Add method' }).click();
    await dialog().getByLabel('Which method would you like to add?').selectOption({ label: 'Phone' });
    await dialog().getByRole('button', { name: 'Add', exact: true }).click();
    await dialog().getByLabel('Phone number').fill('12');
    await dialog().getByRole('button', { name: 'Next' }).click();
    const number = dialog().getByLabel('Phone number');
    await page.locator('#phoneNumber-error').waitFor();
    expect(await number.getAttribute('aria-invalid')).toBe('true');
    expect(await number.getAttribute('aria-describedby')).toBe('phoneNumber-error');
    await accessible('refused number');
    await screenshot(page, 'refusal-phone-number');
    await dialog().getByRole('button', { name: 'Back' }).click();
    await dialog().getByRole('button', { name: 'Cancel' }).click();

    const code = await addPhone('Phone', '+1 425 555 0110', 'Text me a code');
    await enterCode(code === '000000' ? '111111' : '000000');
    await dialog().getByText('That code is not right. 4 attempts left.').waitFor();
    expect(await dialog().getByRole('alert').allInnerTexts()).toContain(
      'That code is not right. 4 attempts left.',
    );
    await accessible('wrong code');
    await screenshot(page, 'refusal-wrong-code');
    await enterCode(code);
    await dialog().getByText('Verification complete.', { exact: false }).waitFor();
    await dialog().getByRole('button', { name: 'Done' }).click();

    // An alternate phone beside it: the list names each by its type.
    const alternate = await addPhone('Alternate phone', '+1 425 555 0111', 'Call me');
    await enterCode(alternate);
    await dialog().getByRole('button', { name: 'Done' }).click();
    expect(await methods()).toEqual([
      expect.stringMatching(/^Phone\s+\+1 4255550110/),
      expect.stringMatching(/^Alternate phone\s+\+1 4255550111/),
    ]);
  }, 60_000);

  it('counts down to "Resend code"; a code locked by wrong entries offers a new one', async () => {
    await signIn('resend-person');
    await addPhone('Phone', '+1 425 555 0120', 'Text me a code');
    const resend = dialog().getByTestId('resend');
    expect(await resend.innerText()).toMatch(/^Resend code in [1-3] s$/);
    expect(await resend.isDisabled()).toBe(true);
    await screenshot(page, 'resend-countdown');
    await page.getByText('Resend code', { exact: true }).waitFor({ timeout: 10_000 });
    const resent = await answerTo(page, 'POST', /\/resend$/, () => resend.click());
    expect(resent.status()).toBe(202);
    const { codeId } = ((await resent.json()) as { code: { codeId: string } }).code;
    const second = (await codeFromOutbox(dataDir, codeId)).code;
    await page.getByTestId('announcer').getByText('A new code is on its way.').waitFor();

    // Wrong entries until the code locks: the page offers a new one instead of Next.
    const wrong = ['000000', '111111', '222222', '333333', '444444', '555555'].filter((c) => c !== second);
    for (const [i, attempt] of wrong.slice(0, 5).entries()) {
      await enterCode(attempt);
      await dialog()
        .getByText(new RegExp(`${4 - i} attempts? left`))
        .waitFor();
    }
    expect(await dialog().getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await accessible('code locked');
    await screenshot(page, 'code-locked');
    await dialog().getByRole('button', { name: 'Send a new code' }).waitFor({ timeout: 10_000 });
    const renewed = await answerTo(page, 'POST', /\/resend$/, () =>
      dialog().getByRole('button', { name: 'Send a new code' }).click(),
    );
    const third = (
      await codeFromOutbox(dataDir, ((await renewed.json()) as { code: { codeId: string } }).code.codeId)
    ).code;
    await enterCode(third);
    await dialog().getByText('Verification complete.', { exact: false }).waitFor();
  }, 60_000);

  it('says when a code was blocked, and offers "Call me instead"', async () => {
    await signIn('blocked-person');
    await page.getByRole('button', { name: 'Add method' }).click();
    await dialog().getByLabel('Which method would you like to add?').selectOption({ label: 'Phone' });
    await dialog().getByRole('button', { name: 'Add', exact: true }).click();
    await dialog().getByLabel('Country or region').selectOption('GB');
    await dialog().getByLabel('Phone number').fill('07400 123456');
    await dialog().getByRole('button', { name: 'Next' }).click();
    // The page follows the code's delivery: the worker recorded it blocked (countryNotAllowed).
    await dialog()
      .getByText('We could not send the code: we do not send codes to this country or region.')
      .waitFor({ timeout: 20_000 });
    const callInstead = dialog().getByRole('button', { name: 'Call me instead' });
    await accessible('code blocked');
    await screenshot(page, 'blocked-call-me-instead');
    // Enabled once the resend cooldown is over (the click waits for it).
    const resent = await answerTo(page, 'POST', /\/resend$/, () => callInstead.click());
    expect(resent.status()).toBe(202);
    expect(JSON.parse(resent.request().postData()!)).toEqual({ deliveryMethod: 'voice' });
    await dialog()
      .getByText(/We are calling \+44 X+56/)
      .waitFor();
  }, 60_000);

  it('records a double-clicked Next once; a phone left waiting takes its code from the list', async () => {
    await signIn('double-click-person');
    await page.getByRole('button', { name: 'Add method' }).click();
    await dialog().getByLabel('Which method would you like to add?').selectOption({ label: 'Phone' });
    await dialog().getByRole('button', { name: 'Add', exact: true }).click();
    await dialog().getByLabel('Phone number').fill('+1 425 555 0130');
    const added = await answerTo(page, 'POST', /\/phone-methods$/, () =>
      dialog().getByRole('button', { name: 'Next' }).dblclick(),
    );
    await dialog().getByRole('heading', { name: 'Enter the code' }).waitFor();

    // Closed before the code came: the phone waits in the list, and its code can be entered from there.
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    expect(await methods()).toEqual([
      expect.stringMatching(/^Phone\s+\+1 4255550130\s+Waiting for its code/),
    ]);
    await page.getByRole('button', { name: 'Enter the code for Phone' }).click();
    await dialog().getByRole('textbox', { name: 'Code' }).waitFor();

    const auditor = (
      await cli(['token', '--sub', 'page-auditor', '--roles', 'auditor'], { DATA_DIR: dataDir })
    ).stdout.trim();
    const history = await checkedFetch(`${signet.url}/v1/audit/users/double-click-person/events`, {
      headers: { Authorization: `Bearer ${auditor}` },
    });
    const types = ((await history.json()) as { items: { type: string }[] }).items.map((e) => e.type);
    expect(types.filter((type) => type === 'PhoneMethodAdded')).toHaveLength(1);
    expect(types.filter((type) => type === 'CodeSent')).toHaveLength(1);
    const { codeId } = ((await added.json()) as { code: { codeId: string } }).code;
    await enterCode((await codeFromOutbox(dataDir, codeId)).code);
    await dialog().getByText('Verification complete.', { exact: false }).waitFor();
  }, 60_000);

  it('goes through the whole flow by keyboard alone, focus trapped in dialogs and returned', async () => {
    await page.goto(signet.url);
    /** The accessible name of what has the focus (its aria-label, its label, or its text). */
    const focusedName = async () =>
      String(
        await page.evaluate(`(() => {
          const el = document.activeElement;
          if (!el || el === document.body) return '';
          return el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].innerText) || el.innerText;
        })()`),
      ).trim();
    const focused = async (name: RegExp) => expect(await focusedName()).toMatch(name);
    /** Tab (forwards) until the element named has the focus; at most `limit` presses. */
    const tabTo = async (name: RegExp, limit = 12) => {
      const seen: string[] = [];
      for (let i = 0; i < limit; i += 1) {
        await page.keyboard.press('Tab');
        seen.push(await focusedName());
        if (name.test(seen[seen.length - 1])) return;
      }
      throw new Error(`${name} was not reached by Tab: ${JSON.stringify(seen)}`);
    };

    await tabTo(/^User name$/);
    await page.keyboard.type('keyboard-person');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Security info' }).waitFor();

    await tabTo(/Add method/);
    await page.keyboard.press('Enter');
    await dialog().waitFor();
    // The dialog's title takes the focus (a screen reader says where the person is), the select is next.
    await focused(/^Add a method$/);
    await tabTo(/^Which method would you like to add\?$/, 1);
    await page.keyboard.press('ArrowDown');
    await tabTo(/^Add$/);
    await page.keyboard.press('Enter');
    await dialog().getByRole('heading', { name: 'Phone' }).waitFor();
    await tabTo(/^Phone number$/);
    await page.keyboard.type('+1 425 555 0140');
    const added = await answerTo(page, 'POST', /\/phone-methods$/, () => page.keyboard.press('Enter'));
    const { codeId } = ((await added.json()) as { code: { codeId: string } }).code;
    const { code } = await codeFromOutbox(dataDir, codeId);
    await dialog().getByRole('heading', { name: 'Enter the code' }).waitFor();
    await tabTo(/^Code$/);
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await dialog().getByText('Verification complete.', { exact: false }).waitFor();
    // The focus stays in the dialog however far one tabs.
    for (let i = 0; i < 6; i += 1) {
      await page.keyboard.press('Tab');
      expect(await page.locator('dialog :focus').count()).toBe(1);
    }
    await tabTo(/^Done$/);
    await page.keyboard.press('Enter');
    await dialog().waitFor({ state: 'detached' });
    await focused(/Add method/);
    expect(await page.getByTestId('default-method').innerText()).toBe('Phone - text +1 4255550140');

    // Escape closes a dialog and gives the focus back; then delete by keyboard.
    await tabTo(/^Delete Phone$/);
    await page.keyboard.press('Enter');
    await dialog().waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    await focused(/^Delete Phone$/);
    await page.keyboard.press('Enter');
    // The dialog first: Tab pressed before it opens walks the page instead.
    await dialog().waitFor();
    await tabTo(/^Yes$/);
    await page.keyboard.press('Enter');
    await page.getByText('You have no sign-in methods yet').waitFor();
  }, 60_000);

  it('speaks French to a French browser, and fits a 360 px wide screen', async () => {
    const french = await browser.newContext({ locale: 'fr-FR', viewport: { width: 360, height: 740 } });
    page = await french.newPage();
    try {
      await page.goto(signet.url);
      await page.getByRole('heading', { name: 'Connexion' }).waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('fr');
      await page.getByLabel('Nom d’utilisateur').fill('french-person');
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.getByRole('heading', { name: 'Informations de sécurité' }).waitFor();
      await page.getByRole('button', { name: 'Ajouter une méthode' }).click();
      await dialog().getByLabel('Quelle méthode voulez-vous ajouter ?').selectOption({ label: 'Téléphone' });
      await dialog().getByRole('button', { name: 'Ajouter', exact: true }).click();
      // The country select defaults from the locale, its names in French.
      expect(await dialog().getByLabel('Pays ou région').inputValue()).toBe('FR');
      await dialog().getByLabel('Pays ou région').selectOption('US');
      await dialog().getByLabel('Numéro de téléphone').fill('425 555 0150');
      const added = await answerTo(page, 'POST', /\/phone-methods$/, () =>
        dialog().getByRole('button', { name: 'Suivant' }).click(),
      );
      const { code } = await codeFromOutbox(
        dataDir,
        ((await added.json()) as { code: { codeId: string } }).code.codeId,
      );
      await accessible('French, 360 px, enter the code');
      await screenshot(page, 'french-360-enter-the-code');
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
      await dialog().getByRole('textbox', { name: 'Code' }).fill(code);
      await dialog().getByRole('button', { name: 'Suivant' }).click();
      await dialog().getByText('Vérification terminée.', { exact: false }).waitFor();
      await dialog().getByRole('button', { name: 'Terminé' }).click();
      expect(await page.getByTestId('default-method').innerText()).toBe('Téléphone - SMS +1 4255550150');
      // Dates for the locale: "Ajouté le 30 nov. 2026, 03:40".
      expect(await page.getByTestId('method').innerText()).toMatch(/Ajouté le \d{1,2} \S+ \d{4}/);
      await accessible('French, 360 px, one phone');
      await screenshot(page, 'french-360-security-info');
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    } finally {
      await french.close();
    }
  }, 60_000);

  it('serves the page with its own security headers, and / leads to it', async () => {
    const root = await fetch(`${signet.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/my-account/security-info');
    const html = await fetch(`${signet.url}/my-account/security-info`);
    const csp = html.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(html.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await html.text()).not.toMatch(/<script>|<script (?![^>]*src=)/);
  });
});
