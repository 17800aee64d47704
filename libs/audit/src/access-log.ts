import type { EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { encodeCursor } from './history';
import type { PhoneNumberDisclosure } from './phone-numbers';

/**
 * Every audit read and export, appended to one stream outside the `securityInfo-` category so that the
 * projections never see it. Hash-chained like every stream, and never rewritten.
 */
export const AUDIT_ACCESS_STREAM = 'auditAccess';
export const AUDIT_RECORD_ACCESSED = 'AuditRecordAccessed';

/**
 * `personalDataErasure`: a privacy officer erased the person's personal data (with the reason);
 * `personalDataExport`: the person took their own copy (GET /v1/me/personal-data); `securityInfoPage`: someone
 * read another person's current page (`GET /v1/users/{userId}/security-info`).
 */
export type AuditAction =
  | 'history'
  | 'asOf'
  | 'export'
  | 'verify'
  | 'accessLog'
  | 'personalDataErasure'
  | 'personalDataExport'
  | 'securityInfoPage';

/** Who looked at whose history, what they asked, how, when and from where. */
export interface AuditAccess {
  accessor: {
    subject: string;
    roles: string[];
    /** The HTTP API (a token's subject) or the CLI (`--as`, else the OS user). */
    via: 'api' | 'cli';
  };
  action: AuditAction;
  /** Whose history; null when the access covered everyone. */
  userId: string | null;
  /** The parameters as asked (filters, moment, format...). */
  query: Record<string, string>;
  phoneNumbers: PhoneNumberDisclosure;
  reason: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  correlationId: string | null;
}

export interface AccessLogEntry extends AuditAccess {
  accessId: string;
  accessedAt: string;
  revision: string;
  position: string;
}

/** Records an access before the data is given: an access that cannot be recorded does not happen. */
export async function recordAccess(store: EventStore, access: AuditAccess, at: Date): Promise<void> {
  const id = randomUUID();
  await store.appendToStream(
    AUDIT_ACCESS_STREAM,
    [
      {
        id,
        type: AUDIT_RECORD_ACCESSED,
        data: { ...access, accessedAt: at.toISOString() },
        metadata: {
          eventId: id,
          occurredAt: at.toISOString(),
          actor: { subject: access.accessor.subject, roles: access.accessor.roles },
          correlationId: access.correlationId,
          clientAddress: access.clientAddress,
          userAgent: access.userAgent,
          schemaVersion: 1,
        },
      },
    ],
    // Accesses from every API instance and CLI land on one stream; the chain decorator orders them.
    { expectedRevision: 'any' },
  );
}

export interface AccessLogPage {
  items: AccessLogEntry[];
  next: string | null;
}

/** The access log oldest first, a page at a time (the cursor is a revision of the access stream). */
export async function readAccessLog(
  store: EventStore,
  query: {
    /** Only accesses to this user's history (accesses to everyone's included). */
    userId?: string;
    /** Only accesses by this subject. */
    accessor?: string;
    afterRevision?: bigint;
    limit: number;
  },
): Promise<AccessLogPage> {
  const items: AccessLogEntry[] = [];
  const fromRevision = query.afterRevision === undefined ? 'start' : query.afterRevision + 1n;
  for await (const event of store.readStream(AUDIT_ACCESS_STREAM, { fromRevision })) {
    const access = event.data as unknown as AuditAccess & { accessedAt: string };
    if (query.userId !== undefined && access.userId !== query.userId && !coversEveryone(access)) continue;
    if (query.accessor !== undefined && access.accessor.subject !== query.accessor) continue;
    if (items.length === query.limit) {
      return { items, next: encodeCursor(BigInt(items[items.length - 1].revision)) };
    }
    items.push({
      accessId: event.id,
      ...access,
      revision: event.revision.toString(),
      position: event.position.toString(),
    });
  }
  return { items, next: null };
}

/** An export or verification of everyone's history covers each user's. */
function coversEveryone(access: AuditAccess): boolean {
  return access.userId === null && (access.action === 'export' || access.action === 'verify');
}
