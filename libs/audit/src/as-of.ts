import {
  codeDeliveryStream,
  evolvePageState,
  initialPageState,
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
import type { ReadModelStore } from '@signet/read-model';
import { foldAsOf, type AsOfFold } from './as-of-fold';
import { stillChained, storedSnapshotBefore } from './as-of-snapshots';
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
 * Folds already made, one per user: events never change, so the state after revision r is final, and a later
 * moment of the same history (an auditor stepping through it) only needs the events after r. In memory, the
 * folds this process replayed (the least recently used go beyond `capacity`); with `stored`, also the
 * snapshots the `asOfSnapshots` projection keeps in the read model (sealed under each person's key), so that
 * even a first look replays at most AS_OF_SNAPSHOT_EVERY events. A stored snapshot is used only once the
 * event it ends on is found unchanged on the hash chain (`securityInfoAsOf` checks it).
 */
export class AsOfSnapshots {
  private readonly entries = new Map<string, Fold & { at: number }>();

  private readonly capacity: number;
  private readonly maxAgeMs: number;
  private readonly stored: ReadModelStore | undefined;

  /**
   * `capacity`: folds kept in memory (default 1000). `maxAgeMs`: a fold holds personal data opened; after an
   * erasure it must not outlive the keys the other processes still cache (libs/personal-data's
   * DATA_KEY_CACHE_MS), so it is dropped after as long (default 60 s). `stored`: the (sealed) read model the
   * `asOfSnapshots` projection writes to; none: memory only.
   */
  constructor(options: { capacity?: number; maxAgeMs?: number; stored?: ReadModelStore } = {}) {
    this.capacity = options.capacity ?? 1000;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.stored = options.stored;
  }

  /**
   * The furthest fold of this user's stream that does not go past the moment: the one in memory, or a stored
   * snapshot further on (`checked: false`: it has yet to be checked against the hash chain).
   */
  async before(userId: string, moment: AsOfMoment): Promise<(Fold & { checked: boolean }) | undefined> {
    const remembered = this.remembered(userId, moment);
    const stored =
      this.stored &&
      (await storedSnapshotBefore(this.stored, userId, (fold) =>
        fitsIn(fold.reachedAt, BigInt(fold.last.revision), moment),
      ));
    if (stored && (!remembered || stored.last.revision > remembered.last.revision)) {
      return { ...stored, checked: false };
    }
    return remembered && { ...remembered, checked: true };
  }

  private remembered(userId: string, moment: AsOfMoment): Fold | undefined {
    const snapshot = this.entries.get(userId);
    if (!snapshot) return undefined;
    if (Date.now() - snapshot.at > this.maxAgeMs) {
      this.entries.delete(userId);
      return undefined;
    }
    if (!fitsIn(snapshot.reachedAt, snapshot.last.revision, moment)) return undefined;
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
type Fold = AsOfFold;

/** Whether a fold whose events occurred up to `reachedAt` and end on `revision` lies within the moment. */
function fitsIn(reachedAt: number, revision: bigint, moment: AsOfMoment): boolean {
  return 'revision' in moment ? revision <= moment.revision : reachedAt <= moment.asOf.getTime();
}

const asRead = (event: RecordedEvent): RecordedEvent => event;

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
  const from = await snapshots?.before(userId, moment);
  // A stored snapshot is taken only once the stream still carries the very event it ends on.
  let fold: Fold | null =
    from && (from.checked || (await stillChained(store, userId, from.last))) ? from : null;
  let seenAny = fold !== null;
  const fromRevision = fold ? fold.last.revision + 1n : 'start';
  for await (const event of store.readStream(securityInfoStream(userId), { fromRevision })) {
    seenAny = true;
    if (isPast(event, moment)) break;
    fold = foldAsOf(fold, event, asRead);
  }
  if (!seenAny) throw new NoHistoryError(userId);
  const last = fold?.last ?? null;
  if ('revision' in moment && last !== null && last.revision < moment.revision) {
    throw new RevisionNotReachedError(moment.revision, last.revision);
  }
  if (fold) snapshots?.remember(userId, fold);
  const state = fold?.state ?? initialPageState;
  const change = fold?.change ?? null;
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
