import {
  codeDeliveryStream,
  evolvePageState,
  initialPageState,
  isDeliveryEvent,
  renderSecurityInfoPage,
  securityInfoEventOf,
  securityInfoStream,
  signInChallengeStream,
  verificationOf,
  type PagePolicy,
  type SecurityInfoPage,
  type SecurityInfoPageState,
} from '@signet/domain';
import type { EventStore, RecordedEvent } from '@signet/event-store';
import { historyItemOf, NoHistoryError, occurredAt, occurredAtAsRecorded, type HistoryItem } from './history';
import type { PhoneNumberDisclosure } from './phone-numbers';

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
  private readonly entries = new Map<string, Fold & { at: number }>();

  /**
   * `maxAgeMs`: a fold holds personal data opened; after an erasure it must not outlive the keys the other
   * processes still cache (libs/personal-data's DATA_KEY_CACHE_MS), so it is dropped after as long.
   */
  constructor(
    private readonly capacity = 1000,
    private readonly maxAgeMs = 60_000,
  ) {}

  /** The furthest fold of this user's stream that does not go past the moment. */
  before(userId: string, moment: AsOfMoment): Fold | undefined {
    const snapshot = this.entries.get(userId);
    if (snapshot && Date.now() - snapshot.at > this.maxAgeMs) this.entries.delete(userId);
    if (!snapshot || isPast(snapshot.last, moment) || Date.now() - snapshot.at > this.maxAgeMs)
      return undefined;
    this.entries.delete(userId);
    this.entries.set(userId, snapshot);
    return snapshot;
  }

  remember(userId: string, fold: Fold): void {
    const known = this.entries.get(userId);
    if (known && known.last.revision >= fold.last.revision) return;
    this.entries.delete(userId);
    this.entries.set(userId, { ...fold, at: Date.now() });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets the user's fold at once (their personal data was erased). */
  forget(userId: string): void {
    this.entries.delete(userId);
  }
}

/** A fold of a user's Security info stream up to `last`; `change` is the last event that changed the page. */
interface Fold {
  state: SecurityInfoPageState;
  last: RecordedEvent;
  change: RecordedEvent | null;
}

function isPast(event: RecordedEvent, moment: AsOfMoment): boolean {
  return 'revision' in moment ? event.revision > moment.revision : occurredAt(event) > moment.asOf;
}

/**
 * The rules the as-of page is rendered under (the pending-method TTL, the resend cooldown): the configured
 * ones, as the live page uses. The defaults are the configuration's.
 */
export const DEFAULT_AS_OF_POLICY: PagePolicy = { pendingMethodTtlHours: 24, resendCooldownSeconds: 60 };

/**
 * Replays the user's stream up to the moment with the domain's `evolve`, as the command side folds it, and
 * renders the page as it stood at that instant (an `asOf` instant, or the moment revision r occurred): a
 * pending method past its TTL then is not shown, exactly as the live page left it out from that instant on,
 * and each live code's delivery is what the code-delivery stream had recorded by then.
 */
export async function securityInfoAsOf(
  store: EventStore,
  userId: string,
  moment: AsOfMoment,
  disclosure: PhoneNumberDisclosure,
  snapshots?: AsOfSnapshots,
  policy: PagePolicy = DEFAULT_AS_OF_POLICY,
): Promise<SecurityInfoAsOf> {
  const snapshot = snapshots?.before(userId, moment);
  let state = snapshot?.state ?? initialPageState;
  let last: RecordedEvent | null = snapshot?.last ?? null;
  let change: RecordedEvent | null = snapshot?.change ?? null;
  let seenAny = last !== null;
  const fromRevision = last ? last.revision + 1n : 'start';
  for await (const event of store.readStream(securityInfoStream(userId), { fromRevision })) {
    seenAny = true;
    if (isPast(event, moment)) break;
    const domainEvent = securityInfoEventOf(event);
    state = evolvePageState(state, domainEvent);
    last = event;
    if (!isDeliveryEvent(domainEvent)) change = event;
  }
  if (!seenAny) throw new NoHistoryError(userId);
  if ('revision' in moment && last !== null && last.revision < moment.revision) {
    throw new RevisionNotReachedError(moment.revision, last.revision);
  }
  if (last) snapshots?.remember(userId, { state, last, change });
  const instant = 'asOf' in moment ? moment.asOf : last ? occurredAt(last) : new Date(0);
  const deliveries = await deliveriesAsOf(store, userId, state, instant);
  const securityInfo = await lastUsedAsOf(store, userId, state.securityInfo, instant);
  const page = renderSecurityInfoPage(
    userId,
    securityInfo,
    { revision: last ? last.revision : null, updatedAt: last ? occurredAtAsRecorded(last) : null },
    { now: instant, policy, deliveries, maskNumbers: disclosure === 'masked' },
  );
  return { page, lastChange: change && historyItemOf(change, disclosure) };
}

/**
 * Each method's `lastUsedAt` as of `instant`: the successful sign-in challenges on the user's challenge stream
 * up to then. Method ids are never reused, so applying them after the Security info fold gives what the
 * projection's interleaved fold gives.
 */
async function lastUsedAsOf(
  store: EventStore,
  userId: string,
  state: SecurityInfoPageState['securityInfo'],
  instant: Date,
): Promise<SecurityInfoPageState['securityInfo']> {
  if (!state.methods.some((m) => m.status === 'verified')) return state;
  let current = state;
  for await (const event of store.readStream(signInChallengeStream(userId))) {
    if (occurredAt(event) > instant) break;
    if (event.type !== 'SignInChallengeSucceeded') continue;
    current = evolvePageState(
      { securityInfo: current, deliveries: {} },
      securityInfoEventOf(event),
    ).securityInfo;
  }
  return current;
}

/**
 * What had become of the live codes by `instant`: the user's code-delivery stream up to then (read only when
 * a code is live at all). Delivery events of a code always follow its CodeSent, so applying them after the
 * Security info fold gives what the projection's interleaved fold gives.
 */
async function deliveriesAsOf(
  store: EventStore,
  userId: string,
  state: SecurityInfoPageState,
  instant: Date,
): Promise<SecurityInfoPageState['deliveries']> {
  if (!state.securityInfo.methods.some((m) => verificationOf(m)?.codes.length)) return state.deliveries;
  let current = state;
  for await (const event of store.readStream(codeDeliveryStream(userId))) {
    if (occurredAt(event) > instant) break;
    current = evolvePageState(current, securityInfoEventOf(event));
  }
  return current.deliveries;
}
