import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@signet/config';
import { pageContentSecurityPolicy, pageHtml } from './web-page';

/** How the page learns to sign people in: the meta tags the API fills in, and whom its CSP lets it call. */
describe('the served page', () => {
  let dir: string;
  const meta = (html: string, name: string) =>
    new RegExp(`<meta name="${name}" content="([^"]*)"`).exec(html)?.[1];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signet-web-page-'));
    writeFileSync(
      join(dir, 'index.html'),
      '<meta name="signet-sign-in" content="development" /><meta name="signet-oidc-issuer" content="" />' +
        '<meta name="signet-oidc-client-id" content="" />',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: join(dir, 'data'), ...env });

  it('offers the development sign-in on the embedded default only', () => {
    const html = pageHtml(config({}), dir);
    expect(meta(html, 'signet-sign-in')).toBe('development');
    expect(config({}).web.developmentSignIn).toBe(true);
    expect(pageContentSecurityPolicy(config({}))).toContain("connect-src 'self';");
  });

  it('signs in with the OpenID provider when OIDC_ISSUER is set, which its CSP lets the page call', () => {
    const oidc = config({
      JWT_JWKS_URL: 'https://id.example.com/jwks',
      OIDC_ISSUER: 'https://id.example.com/realms/a"b',
      OIDC_CLIENT_ID: 'page',
    });
    const html = pageHtml(oidc, dir);
    expect(meta(html, 'signet-sign-in')).toBe('oidc');
    expect(meta(html, 'signet-oidc-issuer')).toBe('https://id.example.com/realms/a&quot;b');
    expect(meta(html, 'signet-oidc-client-id')).toBe('page');
    expect(oidc.web.developmentSignIn).toBe(false);
    expect(pageContentSecurityPolicy(oidc)).toContain("connect-src 'self' https://id.example.com;");
  });

  it('never mints tokens with a JWT_SECRET that was set: the tokens come from elsewhere', () => {
    const deployed = config({ JWT_SECRET: 'x'.repeat(64) });
    expect(deployed.web.developmentSignIn).toBe(false);
    expect(meta(pageHtml(deployed, dir), 'signet-sign-in')).toBe('none');
  });

  it('has no way to sign in with JWT_JWKS_URL and no OIDC_ISSUER (the development sign-in is off)', () => {
    const jwks = config({ JWT_JWKS_URL: 'https://id.example.com/jwks' });
    expect(meta(pageHtml(jwks, dir), 'signet-sign-in')).toBe('none');
    expect(jwks.web.developmentSignIn).toBe(false);
  });

  it('needs OIDC_CLIENT_ID with OIDC_ISSUER', () => {
    expect(() => config({ OIDC_ISSUER: 'https://id.example.com' })).toThrow(/OIDC_CLIENT_ID/);
  });
});
