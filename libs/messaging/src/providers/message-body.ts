/**
 * The text of a code message. The last line is the origin-bound one-time-code line browsers and phones use to
 * offer the code for autofill on that site only (`@example.com #123456`, WICG "Origin-bound one-time codes").
 */
export function codeMessageBody(code: string, lifetimeSeconds: number, otpDomain: string): string {
  const minutes = Math.max(1, Math.round(lifetimeSeconds / 60));
  return (
    `Your Signet verification code is ${code}. It expires in ${minutes} minute${minutes === 1 ? '' : 's'}.` +
    `\n\n@${otpDomain} #${code}`
  );
}

/** What a call says: the digits one by one, twice, so they can be written down. */
export function codeCallScript(code: string, lifetimeSeconds: number): string {
  const digits = code.split('').join(', ');
  const minutes = Math.max(1, Math.round(lifetimeSeconds / 60));
  return `Your Signet verification code is ${digits}. Again: ${digits}. It expires in ${minutes} minutes.`;
}
