import {
  evolve,
  initialState,
  isDeliveryEvent,
  renderSecurityInfoPage,
  securityInfoEventOf,
  securityInfoStream,
  type SecurityInfo,
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
  /**
   * The event that made the page what it was: the last one applied that changes the page (delivery outcomes
   * recorded on the Security info stream before they had a stream of their own are passed over); null
   * before the first.
   */
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
  private readonly entries = new Map<string, Fold>();

  constructor(private readonly capacity = 1000) {}

  /** The furthest fold of this user's stream that does not go past the moment. */
  before(userId: string, moment: AsOfMoment): Fold | undefined {
    const snapshot = this.entries.get(userId);
    if (!snapshot || isPast(snapshot.last, moment)) return undefined;
    this.entries.delete(userId);
    this.entries.set(userId, snapshot);
    return snapshot;
  }

  remember(userId: string, fold: Fold): void {
    const known = this.entries.get(userId);
    if (known && known.last.revision >= fold.last.revision) return;
    this.entries.delete(userId);
    this.entries.set(userId, fold);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** A fold of a user's Security info stream up to `last`; `change` is the last event that changed the page. */
interface Fold {
  state: SecurityInfo;
  last: RecordedEvent;
  change: RecordedEvent | null;
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
  let change: RecordedEvent | null = snapshot?.change ?? null;
  let seenAny = last !== null;
  const fromRevision = last ? last.revision + 1n : 'start';
  for await (const event of store.readStream(securityInfoStream(userId), { fromRevision })) {
    seenAny = true;
    if (isPast(event, moment)) break;
    const domainEvent = securityInfoEventOf(event);
    state = evolve(state, domainEvent);
    last = event;
    if (!isDeliveryEvent(domainEvent)) change = event;
  }
  if (!seenAny) throw new NoHistoryError(userId);
  if ('revision' in moment && last !== null && last.revision < moment.revision) {
    throw new RevisionNotReachedError(moment.revision, last.revision);
  }
  if (last) snapshots?.remember(userId, { state, last, change });
  const page = renderSecurityInfoPage(userId, discloseStatePhoneNumbers(state, disclosure), {
    revision: last ? last.revision : null,
    updatedAt: last ? occurredAtAsRecorded(last) : null,
  });
  return { page, lastChange: change && historyItemOf(change, disclosure) };
}
