import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { SignetConfig } from '@signet/config';
import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from '../edge/http-edge';

/** Where the page lives; `/` leads here. */
export const PAGE_PATH = '/my-account/security-info';
/** Vite's `base`: the page's assets are under it (apps/web/vite.config.mjs). */
const PAGE_BASE = '/my-account/';
/** `npm run build` writes the page here (dist/web), beside dist/apps. */
const BUILT_PAGE = resolve(__dirname, '..', '..', '..', '..', 'web');

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The page's own headers: scripts and styles from here only (no inline script, no eval), API calls to here and
 * to the OpenID provider, never framed, no referrer. The API's helmet headers (nosniff, HSTS, …) stay.
 */
export function pageContentSecurityPolicy(config: SignetConfig): string {
  const provider = config.web.oidc ? ` ${new URL(config.web.oidc.issuer).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${provider}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The built index.html with the sign-in settings filled into its meta tags (no inline script needed). */
export function pageHtml(config: SignetConfig, dir: string): string {
  const settings: Record<string, string> = {
    'signet-sign-in': config.web.oidc ? 'oidc' : config.web.developmentSignIn ? 'development' : 'none',
    'signet-oidc-issuer': config.web.oidc?.issuer ?? '',
    'signet-oidc-client-id': config.web.oidc?.clientId ?? '',
  };
  return readFileSync(join(dir, 'index.html'), 'utf8').replace(
    /<meta name="(signet-[\w-]+)" content="[^"]*"/g,
    (whole, name: string) =>
      name in settings ? `<meta name="${name}" content="${escapeAttribute(settings[name])}"` : whole,
  );
}

/**
 * Serves the Security info page built by `npm run build` (apps/web → dist/web): `/` redirects to it, its
 * assets are immutable (their names carry their hash). No second server: the page and the API share an origin,
 * so the page needs no CORS and its token never leaves for another origin.
 */
export function servePage(app: INestApplication, config: SignetConfig, dir = BUILT_PAGE): void {
  const server = app as NestExpressApplication;
  const headers = (response: Response) => {
    response.setHeader('Content-Security-Policy', pageContentSecurityPolicy(config));
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('X-Frame-Options', 'DENY');
  };
  let html: string | undefined;
  server.use((request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (request.path === '/') return response.redirect(302, PAGE_PATH);
    if (request.path !== PAGE_PATH && request.path !== PAGE_BASE) return next();
    if (!existsSync(join(dir, 'index.html'))) {
      return sendProblem(response, 404, 'route-not-found', 'The page is not built: run `npm run build`.');
    }
    html ??= pageHtml(config, dir);
    headers(response);
    response.setHeader('Cache-Control', 'no-cache');
    response.type('html').send(html);
  });
  server.useStaticAssets(join(dir, 'assets'), {
    prefix: `${PAGE_BASE}assets`,
    immutable: true,
    maxAge: '365d',
    index: false,
    setHeaders: headers,
  });
}
