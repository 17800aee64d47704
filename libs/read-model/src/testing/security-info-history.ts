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
import { TEST_VIEW } from '@signet/domain/testing';
import type { EventStore, EventToAppend, RecordedEvent } from '@signet/event-store';
import { randomUUID } from 'node:crypto';

const AT = '2030-01-01T00:00:00.000Z';

function toAppend(
  event: SecurityInfoEvent | { type: string; data: Record<string, unknown> },
  at = AT,
): EventToAppend {
  const id = randomUUID();
  return {
    id,
    type: event.type,
    data: event.data as unknown as Record<string, unknown>,
    metadata: { eventId: id, occurredAt: at, schemaVersion: 1 },
  };
}

/** A mobile added, sent a code, verified and made the default: the seed's flow, as four events. */
export function verifiedPhoneEvents(methodId: string = randomUUID(), at = AT): EventToAppend[] {
  return [
    toAppend(
      {
        type: 'PhoneMethodAdded',
        data: {
          methodId,
          phoneType: 'mobile',
          phoneNumber: '+14255550100',
          extension: null,
          deliveryMethod: 'sms',
          addedAt: at,
        },
      },
      at,
    ),
    toAppend(
      {
        type: 'CodeSent',
        data: {
          methodId,
          codeId: randomUUID(),
          channel: 'sms',
          destination: '+1 XXXXXXXX00',
          sentAt: at,
          expiresAt: at,
        },
      },
      at,
    ),
    toAppend(
      { type: 'PhoneVerified', data: { methodId, codeId: 'c', deliveryMethod: 'sms', verifiedAt: at } },
      at,
    ),
    toAppend(
      {
        type: 'DefaultChanged',
        data: { current: { methodId, deliveryMethod: 'sms' }, previous: null, reason: 'firstVerifiedMethod' },
      },
      at,
    ),
  ];
}

/** An office phone added to an existing account: one more event. */
export function officePhoneAdded(at = AT): EventToAppend {
  return toAppend(
    {
      type: 'PhoneMethodAdded',
      data: {
        methodId: randomUUID(),
        phoneType: 'office',
        phoneNumber: '+14255550199',
        extension: '12',
        deliveryMethod: 'voice',
        addedAt: at,
      },
    },
    at,
  );
}

/** An event of a type the domain does not know (a newer writer, a corrupt row). */
export function unknownEvent(): EventToAppend {
  return toAppend({ type: 'PhoneMethodRenamed', data: { methodId: 'm', label: 'Work' } });
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
