/** Test fixtures: Security info histories written straight to an event store, and pages built from scratch. */
import {
  evolvePageState,
  initialPageState,
  renderSecurityInfoPage,
  securityInfoEventOf,
  securityInfoStream,
  streamsOfUser,
  type PageView,
  type SecurityInfoEvent,
  type SecurityInfoPage,
} from '@signet/domain';
import {
  added,
  def,
  defaultChanged,
  recordOf,
  sent,
  T0,
  TEST_VIEW,
  verifiedEvent,
} from '@signet/domain/testing';
import type { EventStore, EventToAppend, RecordedEvent } from '@signet/event-store';
import { randomUUID } from 'node:crypto';

const AT = '2030-01-01T00:00:00.000Z';

/** An event in the one envelope every writer uses, occurring at `at`. */
function toAppend(event: SecurityInfoEvent, at = AT): EventToAppend {
  return recordOf(event, { occurredAt: at });
}

/** A mobile added, sent a code, verified and made the default: the seed's flow, as four events. */
export function verifiedPhoneEvents(methodId: string = randomUUID(), at = AT): EventToAppend[] {
  const codeId = randomUUID();
  const ms = msAfterT0(at);
  return [
    added(methodId, 'mobile', { at: ms }),
    sent(methodId, codeId, { at: ms, ttlSeconds: 0 }),
    verifiedEvent(methodId, codeId, 'sms', ms),
    defaultChanged(def(methodId, 'sms'), null, 'firstVerifiedMethod'),
  ].map((event) => toAppend(event, at));
}

/** An office phone added to an existing account: one more event. */
export function officePhoneAdded(at = AT): EventToAppend {
  return toAppend(added(randomUUID(), 'office', { extension: '12', at: msAfterT0(at) }), at);
}

/** The domain's builders count time from T0; these fixtures name their moments. */
function msAfterT0(at: string): number {
  return Date.parse(at) - T0.getTime();
}

/** An event of a type the domain does not know (a newer writer, a corrupt row). */
export function unknownEvent(): EventToAppend {
  const id = randomUUID();
  return {
    id,
    type: 'PhoneMethodRenamed',
    data: { methodId: 'm', label: 'Work' },
    metadata: { eventId: id, occurredAt: AT, schemaVersion: 1 },
  };
}

/** Writes the seed's flow for each user, round-robin, so streams interleave in the log. */
export async function writeHistories(eventStore: EventStore, userIds: string[]): Promise<void> {
  for (const userId of userIds) {
    await eventStore.appendToStream(securityInfoStream(userId), verifiedPhoneEvents(), {
      expectedRevision: 'any',
    });
  }
}

/**
 * The page built from scratch: both of the user's streams (Security info and code delivery) read back,
 * merged in log order and folded with the domain's `evolvePageState`; rendered with `view` (the specs' T0 and
 * policy unless told: pass the test clock's time to compare with a live page).
 */
export async function pageFromScratch(
  eventStore: EventStore,
  userId: string,
  view: Omit<PageView, 'deliveries'> = TEST_VIEW,
): Promise<SecurityInfoPage> {
  const events: RecordedEvent[] = [];
  for (const streamId of streamsOfUser(userId)) {
    for await (const event of eventStore.readStream(streamId)) events.push(event);
  }
  events.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  let state = initialPageState;
  let revision: bigint | null = null;
  let updatedAt: string | null = null;
  for (const event of events) {
    state = evolvePageState(state, securityInfoEventOf(event));
    if (event.streamId !== securityInfoStream(userId)) continue;
    revision = event.revision;
    updatedAt = (event.metadata.occurredAt as string | undefined) ?? null;
  }
  return renderSecurityInfoPage(
    userId,
    state.securityInfo,
    { revision, updatedAt },
    { ...view, deliveries: state.deliveries },
  );
}
