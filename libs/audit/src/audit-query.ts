import type { PhoneNumberDisclosure } from './phone-numbers';

/**
 * A bad audit query parameter, named as the caller wrote it (`from`, `types`, `asOf`...). The HTTP API
 * answers 400 with its name; the CLI exits 2 with the message.
 */
export class AuditQueryError extends Error {
  override readonly name = 'AuditQueryError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** ISO-8601: a date, or a date and time with a zone (Z or ±hh:mm); a local time would be ambiguous. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export function parseInstant(parameter: string, value: string): Date {
  const time = ISO_8601.test(value) ? new Date(value) : null;
  if (!time || Number.isNaN(time.getTime())) {
    throw new AuditQueryError(
      parameter,
      `${parameter} must be an ISO-8601 date or date-time with a zone, e.g. 2026-11-26T10:00:00Z.`,
    );
  }
  return time;
}

const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9]{0,99}$/;

/** Comma-separated event type names: `PhoneMethodAdded,DefaultChanged`. */
export function parseEventTypes(parameter: string, value: string): string[] {
  const types = value.split(',').map((type) => type.trim());
  if (types.length > 50 || !types.every((type) => EVENT_TYPE.test(type))) {
    throw new AuditQueryError(parameter, `${parameter} must be event type names separated by commas.`);
  }
  return types;
}

export function parseRevision(parameter: string, value: string): bigint {
  if (!/^\d{1,19}$/.test(value) || BigInt(value) > 9223372036854775807n) {
    throw new AuditQueryError(parameter, `${parameter} must be a stream revision: a whole number from 0.`);
  }
  return BigInt(value);
}

export function parseLimit(parameter: string, value: string, max: number): number {
  const limit = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= max)) {
    throw new AuditQueryError(parameter, `${parameter} must be a whole number from 1 to ${max}.`);
  }
  return limit;
}

/**
 * Revealing phone numbers takes a reason, which the access log keeps with the choice. `reveal` names what to
 * reveal; `phoneNumbers` is the only thing that can be.
 */
export function parseDisclosure(
  reveal: { parameter: string; value: string | undefined },
  reason: { parameter: string; value: string | undefined },
): { disclosure: PhoneNumberDisclosure; reason: string | null } {
  const given = reason.value?.trim() || null;
  if (reveal.value === undefined) return { disclosure: 'masked', reason: given };
  if (reveal.value !== 'phoneNumbers') {
    throw new AuditQueryError(reveal.parameter, `${reveal.parameter} can only be "phoneNumbers".`);
  }
  if (!given || given.length > 500) {
    throw new AuditQueryError(
      reason.parameter,
      `Revealing phone numbers needs a ${reason.parameter} (up to 500 characters); it is kept in the access log.`,
    );
  }
  return { disclosure: 'revealed', reason: given };
}
