/**
 * A clock a test moves by hand, to reach an expiry, a lease's end or a retention without waiting. Pass
 * `clock.now` wherever a store or a runner takes `now: () => Date`.
 */
export class TestClock {
  private current: number;

  constructor(start: Date | string = '2026-11-26T10:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  /** The current test time (a new Date each call). */
  readonly now = (): Date => new Date(this.current);

  advance(ms: number): void {
    this.current += ms;
  }
}
