import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import type { ObservedResponse } from './openapi-contract';
import { ROOT } from './processes';
import { codeFromOutbox } from './seed-flow';

/** Debian's chromium (the `chromium` package; `.ci/run` installs it on a fresh machine). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium through playwright-core. Without the background-networking flags Chromium reaches out to
 * Google's services at start-up, which a closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Where each step's screenshot goes (gitignored; CI keeps it as an artifact). */
export const ARTIFACTS = join(ROOT, 'artifacts', 'browser');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * The serious and critical accessibility violations axe-core finds in the page as it stands. axe is evaluated
 * through the DevTools protocol, which the page's Content-Security-Policy (no inline scripts) does not cover.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The answer to the command a click sends (`method` to a path matching `path`). */
export async function answerTo(
  page: Page,
  method: string,
  path: RegExp,
  action: () => Promise<unknown>,
): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && path.test(new URL(r.url()).pathname)),
    action(),
  ]);
  return response;
}

/** One answer of the API as the page got it, with the Authorization header the page sent. */
export interface PageAnswer extends ObservedResponse {
  authorization: string | undefined;
}

/**
 * Every answer of the API to the page's requests matching `url` (a glob), in order. Each request goes to the API
 * through the test (`route.fetch`) and its answer back to the page untouched, so the test holds the real answer
 * even when the page leaves for the OpenID provider at once. Nothing is changed or scripted: check them against
 * docs/openapi.json with `openApiContract().check`.
 */
export async function recordAnswers(page: Page, url: string): Promise<PageAnswer[]> {
  const answers: PageAnswer[] = [];
  await page.route(url, async (route) => {
    const request = route.request();
    const response = await route.fetch();
    const answer: PageAnswer = {
      method: request.method(),
      url: request.url(),
      status: response.status(),
      headers: response.headers(),
      text: await response.text(),
      authorization: (await request.allHeaders()).authorization,
    };
    answers.push(answer);
    await route.fulfill({ response });
  });
  return answers;
}

/**
 * The steps the page's browser tests share, on the page, data folder and Signet that `at()` gives now (a test
 * file sets them in its beforeAll and beforeEach).
 */
export function pageSteps(at: () => { page: Page; dataDir: string; url: string }) {
  const page = () => at().page;
  const dialog = () => page().getByRole('dialog');

  /** Every state of the page is scanned: no serious or critical violation. */
  const accessible = async (state: string) => {
    expect({ state, violations: await seriousViolations(page()) }).toEqual({ state, violations: [] });
  };

  const signIn = async (userName: string) => {
    await page().goto(at().url);
    await page().getByLabel('User name').fill(userName);
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByRole('heading', { name: 'Security info' }).waitFor();
  };

  /** Add method → Add a method: the type → Add → the Phone step filled in → Next; the code from the outbox. */
  const addPhone = async (
    label: 'Phone' | 'Alternate phone' | 'Office phone',
    number: string,
    how: 'Text me a code' | 'Call me',
    shots?: string,
  ) => {
    await page().getByRole('button', { name: 'Add method' }).click();
    await dialog().getByRole('heading', { name: 'Add a method' }).waitFor();
    await dialog().getByLabel('Which method would you like to add?').selectOption({ label });
    if (shots) {
      await accessible('add a method');
      await screenshot(page(), `${shots}-2-add-a-method`);
    }
    await dialog().getByRole('button', { name: 'Add', exact: true }).click();
    await dialog().getByRole('heading', { name: label }).waitFor();
    await dialog().getByLabel('Phone number').fill(number);
    await dialog().getByLabel(how).check();
    if (shots) {
      await accessible('phone');
      await screenshot(page(), `${shots}-3-phone`);
    }
    const added = await answerTo(page(), 'POST', /\/phone-methods$/, () =>
      dialog().getByRole('button', { name: 'Next' }).click(),
    );
    expect([added.status(), added.status() === 201 ? '' : await added.text()]).toEqual([201, '']);
    await dialog().getByRole('heading', { name: 'Enter the code' }).waitFor();
    const { codeId } = ((await added.json()) as { code: { codeId: string } }).code;
    return (await codeFromOutbox(at().dataDir, codeId)).code;
  };

  const enterCode = async (code: string) => {
    await dialog().getByRole('textbox', { name: 'Code' }).fill(code);
    await dialog().getByRole('button', { name: 'Next' }).click();
  };

  const methods = () => page().getByTestId('method').allInnerTexts();
  const defaultMethod = () => page().getByTestId('default-method').innerText();

  return { dialog, accessible, signIn, addPhone, enterCode, methods, defaultMethod };
}
