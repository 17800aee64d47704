import {
  DEFAULT_METHODS_POLICY,
  METHODS_POLICY_STREAM,
  methodsPolicyEventOf,
  type MethodsPolicy,
} from '@signet/domain';
import type { EventStore } from '@signet/event-store';

/** The policy in force and the revision of its stream (null: never set, everything allowed). */
export interface PolicyAt {
  policy: MethodsPolicy;
  revision: bigint | null;
}

/**
 * The authentication methods policy in force, read from its stream: every event carries the whole policy, so
 * its last event is all there is to read, and every process (API instances, workers) sees a change at once.
 */
export async function readMethodsPolicy(store: EventStore): Promise<PolicyAt> {
  for await (const stored of store.readStream(METHODS_POLICY_STREAM, {
    direction: 'backwards',
    fromRevision: 'end',
    maxCount: 1,
  })) {
    return { policy: methodsPolicyEventOf(stored).data.policy, revision: stored.revision };
  }
  return { policy: DEFAULT_METHODS_POLICY, revision: null };
}
