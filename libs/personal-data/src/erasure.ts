import { readUserStreams, recordAccess } from '@signet/audit';
import { CommandHandler } from '@signet/command-handling';
import {
  codeDeliveryDecider,
  securityInfoDecider,
  securityInfoEventOf,
  securityInfoRecord,
  securityInfoStream,
  type CodeCheck,
  type SecurityInfoPolicy,
} from '@signet/domain';
import type { EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import type { PersonalDataKeys } from './personal-data-keys';

/** Who asks for an erasure, why, and from where (an API request or a CLI run). */
export interface ErasureRequest {
  userId: string;
  reason: string;
  requestedBy: { subject: string; roles: string[]; via: 'api' | 'cli' };
  origin: {
    clientAddress: string | null;
    userAgent: string | null;
    correlationId: string | null;
    causationId: string | null;
  };
  now: Date;
}

/** What an erasure did (the 202 answer, the CLI's output). */
export interface ErasureOutcome {
  userId: string;
  erasedAt: string;
  /** Data keys destroyed: everything sealed with them is unreadable for good. */
  keysDestroyed: number;
  /**
   * Codes recorded but not yet sent (or still being retried): the worker skips them now (`methodGone`), so no
   * queued message reaches the erased numbers.
   */
  codesCancelled: string[];
  /** The Security info stream's revision and the log position of PersonalDataErased (read-your-writes). */
  revision: string;
  position: string;
}

/**
 * Erases a person's personal data by crypto-shredding: the access log records who asked and why, then every
 * data key of the person is destroyed (their events, read-model document and stored answers become
 * unreadable at once, backups included), then PersonalDataErased starts the account afresh. The key goes
 * first: if anything fails after it, the data is already unreadable and the request can be repeated.
 *
 * A write of the person's that lands between the key's destruction and PersonalDataErased (a command in
 * another request or process) is sealed under a fresh key and sits before the erasure in the log: it is data
 * the erasure covers, so when the person's streams show any such write, their keys are destroyed once more.
 */
export async function erasePersonalData(
  store: EventStore,
  keys: PersonalDataKeys,
  request: ErasureRequest,
  rules: { policy: SecurityInfoPolicy; codes: CodeCheck },
): Promise<ErasureOutcome> {
  const { userId, reason, requestedBy, origin, now } = request;
  await recordAccess(
    store,
    {
      accessor: requestedBy,
      action: 'personalDataErasure',
      userId,
      query: {},
      phoneNumbers: 'masked',
      reason,
      clientAddress: origin.clientAddress,
      userAgent: origin.userAgent,
      correlationId: origin.correlationId,
    },
    now,
  );
  const before = await store.headPosition();
  const destroyed = await keys.destroy(userId);
  const codesCancelled = await unsettledCodes(store, userId);
  const handler = new CommandHandler(store, securityInfoDecider, { eventOf: securityInfoEventOf });
  const result = await handler.handle(
    { type: 'ErasePersonalData', data: { reason, by: requestedBy.subject }, metadata: { now, ...rules } },
    {
      streamId: securityInfoStream(userId),
      toAppend: (events) =>
        events.map((event) =>
          securityInfoRecord(event, randomUUID(), now, {
            actor: { subject: requestedBy.subject, roles: requestedBy.roles },
            commandType: 'ErasePersonalData',
            ...origin,
          }),
        ),
    },
  );
  // No position: nothing was appended (the decider refused), so nothing sits before an erasure event.
  const sealedMeanwhile = (await wroteBetween(store, userId, before, result.position ?? before))
    ? await keys.destroy(userId)
    : [];
  return {
    userId,
    erasedAt: now.toISOString(),
    keysDestroyed: destroyed.length + sealedMeanwhile.length,
    codesCancelled,
    revision: String(result.revision),
    position: String(result.position),
  };
}

/** The person's codes that no outcome has settled yet: queued, or between retries. */
async function unsettledCodes(store: EventStore, userId: string): Promise<string[]> {
  let state = codeDeliveryDecider.initialState();
  for await (const event of readUserStreams(store, userId)) {
    state = codeDeliveryDecider.evolve(state, securityInfoEventOf(event));
  }
  return Object.entries(state.codes)
    .filter(([, code]) => !code.settled)
    .map(([codeId]) => codeId);
}

/** Whether anything was written to the person's streams after `after` and before `before` (both positions). */
async function wroteBetween(
  store: EventStore,
  userId: string,
  after: bigint,
  before: bigint,
): Promise<boolean> {
  for await (const event of readUserStreams(store, userId)) {
    if (event.position > after && event.position < before) return true;
  }
  return false;
}
