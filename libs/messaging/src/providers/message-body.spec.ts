import { codeCallScript, codeMessageBody } from './message-body';

describe('code messages', () => {
  it('holds the code and its lifetime, and ends with the origin-bound one-time-code line', () => {
    const body = codeMessageBody('042917', 600, 'login.example.com');
    expect(body).toBe(
      'Your Signet verification code is 042917. It expires in 10 minutes.\n\n@login.example.com #042917',
    );
    expect(body.split('\n').at(-1)).toMatch(/^@login\.example\.com #042917$/);
  });

  it('says a one-minute lifetime in the singular', () => {
    expect(codeMessageBody('123456', 60, 'x.test')).toContain('It expires in 1 minute.');
  });

  it('reads the digits one by one on a call, twice', () => {
    expect(codeCallScript('042917', 600)).toBe(
      'Your Signet verification code is 0, 4, 2, 9, 1, 7. Again: 0, 4, 2, 9, 1, 7. It expires in 10 minutes.',
    );
  });

  it("names a sign-in challenge's code for what it is", () => {
    expect(codeMessageBody('042917', 600, 'x.test', 'signIn')).toMatch(
      /^Your Signet sign-in code is 042917\./,
    );
    expect(codeMessageBody('042917', 600, 'x.test', 'passwordReset')).toMatch(
      /^Your Signet password reset code is 042917\./,
    );
    expect(codeCallScript('042917', 600, 'signIn')).toMatch(
      /^Your Signet sign-in code is 0, 4, 2, 9, 1, 7\./,
    );
  });
});
