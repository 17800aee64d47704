import {
  evolve,
  initialState,
  renderSecurityInfoPage,
  securityInfoStream,
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

/** Replays the user's stream up to the moment with the domain's `evolve`, as the command side folds it. */
export async function securityInfoAsOf(
  store: EventStore,
  userId: string,
  moment: AsOfMoment,
  disclosure: PhoneNumberDisclosure,
): Promise<SecurityInfoAsOf> {
  let state = initialState;
  let last: RecordedEvent | null = null;
  let seenAny = false;
  for await (const event of store.readStream(securityInfoStream(userId))) {
    seenAny = true;
    const past = 'revision' in moment ? event.revision > moment.revision : occurredAt(event) > moment.asOf;
    if (past) break;
    state = evolve(state, { type: event.type, data: event.data } as SecurityInfoEvent);
    last = event;
  }
  if (!seenAny) throw new NoHistoryError(userId);
  if ('revision' in moment && last !== null && last.revision < moment.revision) {
    throw new RevisionNotReachedError(moment.revision, last.revision);
  }
  const page = renderSecurityInfoPage(userId, discloseStatePhoneNumbers(state, disclosure), {
    revision: last ? last.revision : null,
    updatedAt: last ? occurredAtAsRecorded(last) : null,
  });
  return { page, lastChange: last && historyItemOf(last, disclosure) };
}
