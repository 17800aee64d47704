import { eventually } from './eventually';

describe('eventually', () => {
  it('resolves to what the probe returned once it passes: no throw, no false', async () => {
    let attempts = 0;
    const value = await eventually(() => (++attempts >= 3 ? `after ${attempts}` : false), { intervalMs: 1 });
    expect(value).toBe('after 3');
  });

  it('retries an assertion until it holds', async () => {
    let attempts = 0;
    await eventually(
      () => {
        attempts++;
        expect(attempts).toBe(4);
      },
      { intervalMs: 1 },
    );
    expect(attempts).toBe(4);
  });

  it('awaits an async probe, and passes on null, undefined, 0 or "" (only false means not yet)', async () => {
    expect(await eventually(async () => null)).toBeNull();
    expect(await eventually(() => undefined)).toBeUndefined();
    expect(await eventually(() => 0)).toBe(0);
    expect(await eventually(() => '')).toBe('');
  });

  it('fails after the timeout with the description and the last assertion error', async () => {
    const failure: unknown = await eventually(() => expect(1).toBe(2), {
      timeoutMs: 30,
      intervalMs: 5,
      description: 'one to be two',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(
      /^Timed out after 30 ms waiting for one to be two; the last attempt failed: /,
    );
    expect((failure as Error).message).toContain('Expected: 2');
    expect((failure as Error).cause).toBeInstanceOf(Error);
  });

  it('fails after the timeout saying the last attempt returned false', async () => {
    await expect(eventually(() => false, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      'Timed out after 20 ms waiting for the expected state; the last attempt returned false',
    );
  });

  it('tries once more at the deadline, and at least once with no time at all', async () => {
    let attempts = 0;
    await expect(eventually(() => ++attempts === 1, { timeoutMs: 0 })).resolves.toBe(true);
  });
});
