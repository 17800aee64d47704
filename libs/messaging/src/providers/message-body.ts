/** What a code is for, as its message names it. */
export type MessagePurpose = 'verification' | 'signIn' | 'passwordReset';

const CODE_NAMES: Record<MessagePurpose, string> = {
  verification: 'verification code',
  signIn: 'sign-in code',
  passwordReset: 'password reset code',
};

/**
 * The text of a code message: "Your Signet verification code is …" for a phone being registered, "sign-in
 * code" / "password reset code" for a sign-in challenge's. The last line is the origin-bound one-time-code line browsers and phones use to
 * offer the code for autofill on that site only (`@example.com #123456`, WICG "Origin-bound one-time codes").
 */
export function codeMessageBody(
  code: string,
  lifetimeSeconds: number,
  otpDomain: string,
  purpose: MessagePurpose = 'verification',
): string {
  const minutes = Math.max(1, Math.round(lifetimeSeconds / 60));
  return (
    `Your Signet ${CODE_NAMES[purpose]} is ${code}. It expires in ${minutes} minute${minutes === 1 ? '' : 's'}.` +
    `\n\n@${otpDomain} #${code}`
  );
}

/** What a call says: the digits one by one, twice, so they can be written down. */
export function codeCallScript(
  code: string,
  lifetimeSeconds: number,
  purpose: MessagePurpose = 'verification',
): string {
  const digits = code.split('').join(', ');
  const minutes = Math.max(1, Math.round(lifetimeSeconds / 60));
  return `Your Signet ${CODE_NAMES[purpose]} is ${digits}. Again: ${digits}. It expires in ${minutes} minutes.`;
}
