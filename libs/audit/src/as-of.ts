import {
  evolve,
  initialState,
  renderSecurityInfoPage,
  securityInfoStream,
  type SecurityInfo,
  type SecurityInfoEvent,
  type SecurityInfoPage,
} from '@signet/domain';
import type { EventStore, RecordedEvent } from '@signet/event-store';
import { historyItemOf, NoHistoryError, occurredAt, occurredAtAsRecorded, type HistoryItem } from './history';
import { discloseStatePhoneNumbers, type PhoneNumberDisclosure } from './phone-numbers';

/** The moment to look at: an instant (by when events occurred) or a stream revision. */
export type AsOfMoment = { asOf: Date } | { revision: bigint };

export interface SecurityInfoAsOf {
  /** The Security info page exactly as it stood, rendered by the page's own code. */
  page: SecurityInfoPage;
  /** The last event applied: the one that made the page what it was; null before the first. */
  lastChange: HistoryItem | null;
}

/** The revision asked for is past the stream's last one. */
export class RevisionNotReachedError extends Error {
  override readonly name = 'RevisionNotReachedError';
  constructor(
    readonly revision: bigint,
    readonly currentRevision: bigint,
  ) {
    super(`The stream is at revision ${currentRevision}; revision ${revision} does not exist yet.`);
  }
}

/**
 * Folds already replayed, one per user: events never change, so the state after revision r is final, and a
 * later moment of the same history (an auditor stepping through it) only needs the events after r.
 * The least recently used go beyond `capacity`.
 */
export class AsOfSnapshots {
  private readonly entries = new Map<string, { state: SecurityInfo; last: RecordedEvent }>();

  constructor(private readonly capacity = 1000) {}

  /** The furthest fold of this user's stream that does not go past the moment. */
  before(userId: string, moment: AsOfMoment): { state: SecurityInfo; last: RecordedEvent } | undefined {
    const snapshot = this.entries.get(userId);
    if (!snapshot || isPast(snapshot.last, moment)) return undefined;
    this.entries.delete(userId);
    this.entries.set(userId, snapshot);
    return snapshot;
  }

  remember(userId: string, state: SecurityInfo, last: RecordedEvent): void {
    const known = this.entries.get(userId);
    if (known && known.last.revision >= last.revision) return;
    this.entries.delete(userId);
    this.entries.set(userId, { state, last });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

function isPast(event: RecordedEvent, moment: AsOfMoment): boolean {
  return 'revision' in moment ? event.revision > moment.revision : occurredAt(event) > moment.asOf;
}

/** Replays the user's stream up to the moment with the domain's `evolve`, as the command side folds it. */
export async function securityInfoAsOf(
  store: EventStore,
  userId: string,
  moment: AsOfMoment,
  disclosure: PhoneNumberDisclosure,
  snapshots?: AsOfSnapshots,
): Promise<SecurityInfoAsOf> {
  const snapshot = snapshots?.before(userId, moment);
  let state = snapshot?.state ?? initialState;
  let last: RecordedEvent | null = snapshot?.last ?? null;
  let seenAny = last !== null;
  const fromRevision = last ? last.revision + 1n : 'start';
  for await (const event of store.readStream(securityInfoStream(userId), { fromRevision })) {
    seenAny = true;
    if (isPast(event, moment)) break;
    state = evolve(state, { type: event.type, data: event.data } as SecurityInfoEvent);
    last = event;
  }
  if (!seenAny) throw new NoHistoryError(userId);
  if ('revision' in moment && last !== null && last.revision < moment.revision) {
    throw new RevisionNotReachedError(moment.revision, last.revision);
  }
  if (last) snapshots?.remember(userId, state, last);
  const page = renderSecurityInfoPage(userId, discloseStatePhoneNumbers(state, disclosure), {
    revision: last ? last.revision : null,
    updatedAt: last ? occurredAtAsRecorded(last) : null,
  });
  return { page, lastChange: last && historyItemOf(last, disclosure) };
}
