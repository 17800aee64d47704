import { parseStepUpChallenge, withStepUp } from './step-up';

describe('the step-up challenge (issue 12: 401 insufficient_user_authentication)', () => {
  it('reads max_age, acr_values and the description', () => {
    expect(
      parseStepUpChallenge(
        'Bearer error="insufficient_user_authentication", error_description="Sign in again, \\"recently\\".", ' +
          'max_age=600, acr_values="urn:signet:mfa phr"',
      ),
    ).toEqual({ maxAge: 600, acrValues: 'urn:signet:mfa phr', description: 'Sign in again, "recently".' });
  });

  it('reads a quoted max_age and a challenge after another scheme', () => {
    expect(
      parseStepUpChallenge(
        'Basic realm="x", Bearer realm="signet", error=insufficient_user_authentication, max_age="60"',
      ),
    ).toEqual({ maxAge: 60 });
  });

  it('ignores the parameters of a scheme after the Bearer challenge', () => {
    expect(
      parseStepUpChallenge('Bearer error="insufficient_user_authentication", DPoP max_age=5, acr_values="x"'),
    ).toEqual({});
  });

  it('is not a step-up for any other Bearer error, another scheme, or no header', () => {
    expect(parseStepUpChallenge('Bearer realm="signet", error="invalid_token"')).toBeNull();
    expect(parseStepUpChallenge('Bearer realm="signet"')).toBeNull();
    expect(parseStepUpChallenge('Basic error="insufficient_user_authentication"')).toBeNull();
    expect(parseStepUpChallenge(null)).toBeNull();
  });

  it('drops a max_age that is not a whole number of seconds', () => {
    expect(parseStepUpChallenge('Bearer error="insufficient_user_authentication", max_age=soon')).toEqual({});
  });
});

describe('a command under step-up', () => {
  const answer = (status: number, wwwAuthenticate?: string) => ({
    response: new Response(null, {
      status,
      headers: wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticate } : {},
    }),
  });
  const challenge = 'Bearer error="insufficient_user_authentication", max_age=600, acr_values="mfa"';

  it('signs in again as the challenge asks and retries once with the fresh token', async () => {
    const tokens: string[] = [];
    const stepUp = jest.fn(async () => 'fresh');
    const result = await withStepUp(
      async (token) => {
        tokens.push(token);
        return token === 'fresh' ? answer(200) : answer(401, challenge);
      },
      'stale',
      stepUp,
    );
    expect(result.response.status).toBe(200);
    expect(tokens).toEqual(['stale', 'fresh']);
    expect(stepUp).toHaveBeenCalledWith({ maxAge: 600, acrValues: 'mfa' });
  });

  it('retries only once: a second challenge is returned, never looped on', async () => {
    const stepUp = jest.fn(async () => 'fresh');
    const attempt = jest.fn(async () => answer(401, challenge));
    const result = await withStepUp(attempt, 'stale', stepUp);
    expect(result.response.status).toBe(401);
    expect(attempt).toHaveBeenCalledTimes(2);
    expect(stepUp).toHaveBeenCalledTimes(1);
  });

  it('sends nothing again when the person does not sign in again', async () => {
    const attempt = jest.fn(async () => answer(401, challenge));
    const result = await withStepUp(attempt, 'stale', async () => null);
    expect(result.response.status).toBe(401);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('leaves any other answer alone, a plain 401 included', async () => {
    const stepUp = jest.fn(async () => 'fresh');
    for (const status of [200, 400, 403]) {
      expect((await withStepUp(async () => answer(status), 't', stepUp)).response.status).toBe(status);
    }
    const invalid = await withStepUp(async () => answer(401, 'Bearer error="invalid_token"'), 't', stepUp);
    expect(invalid.response.status).toBe(401);
    expect(stepUp).not.toHaveBeenCalled();
  });
});
