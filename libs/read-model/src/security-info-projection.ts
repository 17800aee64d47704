import {
  evolve,
  initialState,
  renderSecurityInfoPage,
  securityInfoEventOf,
  SECURITY_INFO_CATEGORY,
  userIdOfStream,
  type SecurityInfo,
  type SecurityInfoPage,
} from '@signet/domain';
import type { RecordedEvent } from '@signet/event-store';
import type { Projection } from './projection';
import type { ReadModelDocument } from './read-model.port';

/**
 * One user's Security info as the read model keeps it: the domain state (folded with the domain's own
 * `evolve`, so it can never disagree with the command side) and when it last changed. It holds code ids,
 * never codes: events carry none.
 */
export interface SecurityInfoDocumentBody {
  state: SecurityInfo;
  /** The `occurredAt` of the last event applied. */
  updatedAt: string;
}

export type SecurityInfoDocument = ReadModelDocument<SecurityInfoDocumentBody>;

export const SECURITY_INFO_PAGE_PROJECTION = 'securityInfoPage';

export const securityInfoPageProjection: Projection<SecurityInfoDocumentBody> = {
  name: SECURITY_INFO_PAGE_PROJECTION,
  version: 1,
  streamPrefixes: [`${SECURITY_INFO_CATEGORY}-`],
  documentKey: (event) => userIdOfStream(event.streamId),
  apply: projectSecurityInfo,
};

/** Pure. Throws UnknownEventError or MalformedEventError on an event the domain cannot read. */
export function projectSecurityInfo(
  document: SecurityInfoDocument | null,
  event: RecordedEvent,
): SecurityInfoDocument {
  const userId = userIdOfStream(event.streamId);
  if (userId === null) throw new Error(`${event.streamId} is not a Security info stream`);
  const state = evolve(document?.body.state ?? initialState, securityInfoEventOf(event));
  const occurredAt = event.metadata.occurredAt;
  return {
    key: userId,
    revision: event.revision,
    position: event.position,
    body: {
      state,
      updatedAt: typeof occurredAt === 'string' ? occurredAt : event.recordedAt.toISOString(),
    },
  };
}

/** The page for a user; a user with no history gets the empty page, not a 404. */
export function securityInfoPageOf(userId: string, document: SecurityInfoDocument | null): SecurityInfoPage {
  if (!document) return renderSecurityInfoPage(userId, initialState, { revision: null, updatedAt: null });
  return renderSecurityInfoPage(userId, document.body.state, {
    revision: document.revision,
    updatedAt: document.body.updatedAt,
  });
}
