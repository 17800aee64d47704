/** Time, injected so that tests can move it (code expiry, cooldowns) without waiting. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('Clock');

export const systemClock: Clock = { now: () => new Date() };
