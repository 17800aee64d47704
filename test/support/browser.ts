import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { ROOT } from './processes';

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

/**
 * Issue 12's step-up challenge, until the API gives it: the first request to `url` is answered 401 with
 * `WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=600[, acr_values]` and the problem
 * code `step-up-required`; every later one goes to the API. Resolves with the Authorization header of each
 * request, in order.
 */
export async function challengeFirstRequest(page: Page, url: string, acrValues?: string): Promise<string[]> {
  const authorizations: string[] = [];
  const challenge =
    'Bearer error="insufficient_user_authentication", error_description="Sign in again", max_age=600' +
    (acrValues ? `, acr_values="${acrValues}"` : '');
  await page.route(url, async (route) => {
    authorizations.push(route.request().headers()['authorization']);
    if (authorizations.length > 1) return route.continue();
    await route.fulfill({
      status: 401,
      contentType: 'application/problem+json',
      headers: { 'WWW-Authenticate': challenge },
      body: JSON.stringify({
        type: 'urn:signet:problem:step-up-required',
        title: 'Unauthorized',
        status: 401,
        detail: 'Sign in again',
        code: 'step-up-required',
      }),
    });
  });
  return authorizations;
}
