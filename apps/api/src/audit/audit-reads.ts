import {
  AuditQueryError,
  parseDisclosure,
  recordAccess,
  type AuditAction,
  type PhoneNumberDisclosure,
} from '@signet/audit';
import type { Principal } from '@signet/auth';
import type { EventStore } from '@signet/event-store';
import { ProblemException } from '../problem/problem';
import type { RequestOrigin } from '../request-context';

/**
 * What every read of someone else's records shares, over HTTP: the access log entry (written before the
 * answer: a read that cannot be recorded does not happen) and the `reveal=phoneNumbers&reason=…` choice.
 */
export function recordApiAccess(
  store: EventStore,
  at: Date,
  access: {
    action: AuditAction;
    userId: string | null;
    query: Record<string, string>;
    phoneNumbers: PhoneNumberDisclosure;
    reason: string | null;
  },
  principal: Principal,
  origin: RequestOrigin,
): Promise<void> {
  const { reason: _kept, ...asked } = access.query;
  return recordAccess(
    store,
    {
      accessor: { subject: principal.subject, roles: principal.roles, via: 'api' },
      action: access.action,
      userId: access.userId,
      query: asked,
      phoneNumbers: access.phoneNumbers,
      reason: access.reason,
      clientAddress: origin.clientAddress,
      userAgent: origin.userAgent,
      correlationId: origin.correlationId,
    },
    at,
  );
}

/** `reveal=phoneNumbers` needs a `reason`; numbers are masked otherwise. */
export function disclosureOf(q: Record<string, string | undefined>): {
  disclosure: PhoneNumberDisclosure;
  reason: string | null;
} {
  return validated(() =>
    parseDisclosure({ parameter: 'reveal', value: q.reveal }, { parameter: 'reason', value: q.reason }),
  );
}

export function validated<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof AuditQueryError ? invalidParameter(error) : error;
  }
}

export function invalidParameter(error: AuditQueryError): ProblemException {
  return new ProblemException(400, 'invalid-query-parameter', error.message, {
    errors: [{ field: error.parameter, message: error.message }],
  });
}
