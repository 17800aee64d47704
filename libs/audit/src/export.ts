import { USER_STREAM_CATEGORIES, userIdOfAnyStream } from '@signet/domain';
import type { EventStore, RecordedEvent } from '@signet/event-store';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { historyItemOf, matchesQuery, type HistoryItem } from './history';
import type { PhoneNumberDisclosure } from './phone-numbers';
import { countUserEvents, readUserStreams } from './user-streams';

export type ExportFormat = 'ndjson' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['ndjson', 'csv'];

export interface ExportRequest {
  /** One user's history; everyone's when absent. */
  userId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  format: ExportFormat;
  phoneNumbers: PhoneNumberDisclosure;
}

/** How far an export has gone: `done` of an estimated `total` (log positions, or one user's events). */
export type ExportProgress = (done: bigint, total: bigint) => void;

/** One exported record: a history item and whose it is. */
export type ExportedEvent = { userId: string } & HistoryItem;

const CSV_COLUMNS = [
  'userId',
  'streamId',
  'revision',
  'position',
  'eventId',
  'type',
  'occurredAt',
  'recordedAt',
  'actorSubject',
  'actorRoles',
  'commandType',
  'correlationId',
  'causationId',
  'clientAddress',
  'userAgent',
  'data',
  'previousHash',
  'hash',
] as const;

/**
 * Streams Security info events to `out` page by page, waiting whenever `out` is full, so memory stays flat
 * however many events there are. Exports what was recorded when it started. Returns the number of events
 * written; `out` is left open.
 */
export async function exportEvents(
  store: EventStore,
  request: ExportRequest,
  out: Writable,
  onProgress: ExportProgress = () => undefined,
): Promise<number> {
  const { source, total, progressOf } = await exportSource(store, request.userId);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (request.format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
  let exported = 0;
  for await (const event of source) {
    const done = progressOf(event);
    // A consistent cut: what was there when the export started, not what arrives while it runs.
    if (done > total) break;
    onProgress(done, total);
    if (!matchesQuery(event, request)) continue;
    const record = exportedEvent(event, request.phoneNumbers);
    await write(request.format === 'csv' ? csvLine(record) : `${JSON.stringify(record)}\n`);
    exported += 1;
  }
  onProgress(total, total);
  return exported;
}

async function exportSource(
  store: EventStore,
  userId: string | undefined,
): Promise<{
  source: AsyncIterable<RecordedEvent>;
  total: bigint;
  progressOf: (e: RecordedEvent) => bigint;
}> {
  if (userId === undefined) {
    return {
      source: store.readAll({
        // Every stream of every user: Security info, code delivery and sign-in challenges.
        filter: { streamPrefixes: USER_STREAM_CATEGORIES.map((category) => `${category}-`) },
      }),
      total: await store.headPosition(),
      progressOf: (event) => event.position,
    };
  }
  // All of the user's streams in log order: events appended after the start come after every counted one.
  let done = 0n;
  return {
    source: readUserStreams(store, userId),
    total: await countUserEvents(store, userId),
    progressOf: () => ++done,
  };
}

function exportedEvent(event: RecordedEvent, disclosure: PhoneNumberDisclosure): ExportedEvent {
  return { userId: userIdOfAnyStream(event.streamId) ?? event.streamId, ...historyItemOf(event, disclosure) };
}

function csvLine(record: ExportedEvent): string {
  const actor = (record.actor ?? {}) as { subject?: unknown; roles?: unknown };
  const cells: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    ...record,
    actorSubject: actor.subject,
    actorRoles: Array.isArray(actor.roles) ? actor.roles.join(' ') : actor.roles,
    data: JSON.stringify(record.data),
    previousHash: record.chain?.previousHash,
    hash: record.chain?.hash,
  };
  return `${CSV_COLUMNS.map((column) => csvCell(cells[column])).join(',')}\r\n`;
}

/**
 * RFC 4180: quote a cell holding a comma, a quote or a line break; double the quotes inside. A cell a
 * spreadsheet would run as a formula (a user agent starting with "=") gets a leading apostrophe.
 */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const raw = String(value);
  const text = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
