/**
 * A connection string as it may be shown: `esdb://admin:***@host`. Credentials without a user part (a bare
 * token before the @) are hidden whole.
 */
export function withoutPassword(url: string): string {
  return url.replace(/\/\/([^/@\s]*)@/, (_, userinfo: string) =>
    userinfo.includes(':') ? `//${userinfo.slice(0, userinfo.indexOf(':'))}:***@` : '//***@',
  );
}
