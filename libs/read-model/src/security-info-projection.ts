import {
  evolvePageState,
  initialState,
  renderSecurityInfoPage,
  securityInfoEventOf,
  USER_STREAM_CATEGORIES,
  userIdOfAnyStream,
  userIdOfStream,
  type CodeDeliveries,
  type PageView,
  type SecurityInfo,
  type SecurityInfoPage,
} from '@signet/domain';
import type { RecordedEvent } from '@signet/event-store';
import type { Projection } from './projection';
import type { ReadModelDocument } from './read-model.port';

/**
 * One user's Security info as the read model keeps it: the domain state (folded with the domain's own
 * `evolve`, so it can never disagree with the command side), what became of the live codes (from the
 * code-delivery stream) and when the page last changed. It holds code ids, never codes: events carry none.
 *
 * The document follows all of the user's streams, but its `revision` is the Security info stream's only
 * (the page's revision, its ETag): a delivery outcome or a sign-in challenge changes `deliveries`, a method's
 * `lastUsedAt` and the document's `position`, never the revision nor `updatedAt`. (-1 while only delivery events are known: no page revision yet.)
 */
export interface SecurityInfoDocumentBody {
  state: SecurityInfo;
  /** The `occurredAt` of the last Security info event applied. */
  updatedAt: string;
  /** Absent in documents written by version 1 of the projection (every code then reads as queued). */
  deliveries?: CodeDeliveries;
}

export type SecurityInfoDocument = ReadModelDocument<SecurityInfoDocumentBody>;

export const SECURITY_INFO_PAGE_PROJECTION = 'securityInfoPage';

export const securityInfoPageProjection: Projection<SecurityInfoDocumentBody> = {
  name: SECURITY_INFO_PAGE_PROJECTION,
  // 2: follows the code-delivery streams too (the page's `lastCode.delivery`). It follows the sign-in
  // challenge streams too (each method's `lastUsedAt`) without a new version: no challenge event can predate
  // the code that follows them, so a model built by version 2 before them is no different.
  // 3: the state keeps the time of the account's last erasure (the page's `personalDataErased`); a document
  // version 2 wrote for an account erased before the upgrade lacks it (the page shows no erasure there).
  version: 3,
  streamPrefixes: USER_STREAM_CATEGORIES.map((category) => `${category}-`),
  // The page shows no client address, user agent nor help-desk reason: its rebuild reads the events without them.
  readsPersonalMetadata: false,
  documentKey: (event) => userIdOfAnyStream(event.streamId),
  apply: projectSecurityInfo,
};

/** Pure. Throws UnknownEventError or MalformedEventError on an event the domain cannot read. */
export function projectSecurityInfo(
  document: SecurityInfoDocument | null,
  event: RecordedEvent,
): SecurityInfoDocument {
  const userId = userIdOfAnyStream(event.streamId);
  if (userId === null) throw new Error(`${event.streamId} is not a stream of a user's Security info`);
  const onPageStream = userIdOfStream(event.streamId) !== null;
  const next = evolvePageState(
    { securityInfo: document?.body.state ?? initialState, deliveries: document?.body.deliveries ?? {} },
    securityInfoEventOf(event),
  );
  const occurredAt = event.metadata.occurredAt;
  return {
    key: userId,
    revision: onPageStream ? event.revision : (document?.revision ?? -1n),
    position: event.position,
    body: {
      state: next.securityInfo,
      updatedAt: onPageStream
        ? typeof occurredAt === 'string'
          ? occurredAt
          : event.recordedAt.toISOString()
        : (document?.body.updatedAt ?? ''),
      deliveries: next.deliveries,
    },
  };
}

/** The page for a user at `view.now`; a user with no history gets the empty page, not a 404. */
export function securityInfoPageOf(
  userId: string,
  document: SecurityInfoDocument | null,
  view: Omit<PageView, 'deliveries'>,
): SecurityInfoPage {
  if (!document || document.revision < 0n) {
    return renderSecurityInfoPage(userId, initialState, { revision: null, updatedAt: null }, view);
  }
  return renderSecurityInfoPage(
    userId,
    document.body.state,
    { revision: document.revision, updatedAt: document.body.updatedAt },
    { ...view, deliveries: document.body.deliveries ?? {} },
  );
}
