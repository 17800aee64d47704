import { chainLinkOf, type EventStore, type RecordedEvent } from '@signet/event-store';
import { disclosePhoneNumbers, type PhoneNumberDisclosure } from './phone-numbers';
import { readUserStreams } from './user-streams';

/** The user has no history at all (a mistyped id, most likely). */
export class NoHistoryError extends Error {
  override readonly name = 'NoHistoryError';
  constructor(readonly userId: string) {
    super(`No Security info history for user ${userId}.`);
  }
}

/** One recorded event as auditors see it. Revisions and positions are strings (64-bit). */
export interface HistoryItem {
  eventId: string;
  /** `securityInfo-<userId>` (what the person changed) or `codeDelivery-<userId>` (what became of a code). */
  streamId: string;
  type: string;
  data: Record<string, unknown>;
  revision: string;
  position: string;
  /** When it happened (the writer's clock); the store's commit time when the writer recorded none. */
  occurredAt: string;
  recordedAt: string;
  actor: unknown;
  commandType: string | null;
  correlationId: string | null;
  causationId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  /** How the actor had signed in (`auth_time`, `acr`, `amr`) when a person's or administrator's request caused it. */
  authentication: unknown;
  /** Why an administrator (help desk) made the change; null for anyone else's. */
  reason: string | null;
  /** The event's hash-chain link, so an export can be checked without the store. */
  chain: { previousHash: string; hash: string } | null;
}

export function historyItemOf(event: RecordedEvent, disclosure: PhoneNumberDisclosure): HistoryItem {
  const metadata = event.metadata;
  const text = (key: string) => (typeof metadata[key] === 'string' ? (metadata[key] as string) : null);
  const link = chainLinkOf(metadata);
  return {
    eventId: event.id,
    streamId: event.streamId,
    type: event.type,
    data: disclosePhoneNumbers(event.data, disclosure),
    revision: event.revision.toString(),
    position: event.position.toString(),
    occurredAt: occurredAtAsRecorded(event),
    recordedAt: event.recordedAt.toISOString(),
    actor: metadata.actor ?? null,
    commandType: text('commandType'),
    correlationId: text('correlationId'),
    causationId: text('causationId'),
    clientAddress: text('clientAddress'),
    userAgent: text('userAgent'),
    authentication: metadata.authentication ?? null,
    reason: text('reason'),
    chain: link && { previousHash: link.previousHash, hash: link.hash },
  };
}

/** The time an audit filter or "as of" goes by: `metadata.occurredAt`, else the commit time. */
export function occurredAt(event: RecordedEvent): Date {
  const recorded = event.metadata.occurredAt;
  const time = typeof recorded === 'string' ? new Date(recorded) : null;
  return time && !Number.isNaN(time.getTime()) ? time : event.recordedAt;
}

/** The occurred-at time as the writer recorded it (the page's `updatedAt` shows it so), else the commit time. */
export function occurredAtAsRecorded(event: RecordedEvent): string {
  const recorded = event.metadata.occurredAt;
  return typeof recorded === 'string' && !Number.isNaN(Date.parse(recorded))
    ? recorded
    : event.recordedAt.toISOString();
}

/** Which events of a user's history, and which page of them. */
export interface HistoryQuery {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  types?: string[];
  /** Continue after this log position (from a previous page's cursor). */
  afterPosition?: bigint;
  limit: number;
}

export interface HistoryPage {
  items: HistoryItem[];
  /** The cursor of the next page; null on the last one. */
  next: string | null;
}

/**
 * The user's events (both streams) in log order, filtered; reads on only until it knows whether another page
 * exists.
 */
export async function readUserHistory(
  store: EventStore,
  userId: string,
  query: HistoryQuery,
  disclosure: PhoneNumberDisclosure,
): Promise<HistoryPage> {
  const matches: RecordedEvent[] = [];
  const after = query.afterPosition ?? 0n;
  let seenAny = false;
  for await (const event of readUserStreams(store, userId)) {
    seenAny = true;
    if (event.position <= after || !matchesQuery(event, query)) continue;
    matches.push(event);
    if (matches.length > query.limit) break;
  }
  if (!seenAny) throw new NoHistoryError(userId);
  const page = matches.slice(0, query.limit);
  const more = matches.length > query.limit;
  return {
    items: page.map((event) => historyItemOf(event, disclosure)),
    next: more ? encodeCursor(page[page.length - 1].position) : null,
  };
}

export function matchesQuery(
  event: RecordedEvent,
  query: Pick<HistoryQuery, 'from' | 'to' | 'types'>,
): boolean {
  if (query.types && !query.types.includes(event.type)) return false;
  const at = occurredAt(event).getTime();
  if (query.from && at < query.from.getTime()) return false;
  if (query.to && at >= query.to.getTime()) return false;
  return true;
}

/** Opaque to clients: a log position (or an access-log revision), base64url-encoded. */
export function encodeCursor(after: bigint): string {
  return Buffer.from(`after:${after}`, 'utf8').toString('base64url');
}

/** The position after which a cursor continues, or null when it is not one of ours. */
export function decodeCursor(cursor: string): bigint | null {
  const match = /^after:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? BigInt(match[1]) : null;
}
