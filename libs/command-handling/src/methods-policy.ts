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

/**
 * The policy in force, for every decision, page and message of a process: the policy last read is remembered
 * and only its stream's tail after it is read (no row while the policy has not changed, instead of reading and
 * parsing its last event every time). A change made by any process is still seen by the next read: the tail
 * is read every time.
 */
export class MethodsPolicyInForce {
  private known: PolicyAt | null = null;

  constructor(private readonly store: EventStore) {}

  async current(): Promise<PolicyAt> {
    let latest = this.known;
    if (!latest) latest = await readMethodsPolicy(this.store);
    else {
      // Every event carries the whole policy: the last one of the tail is the policy in force.
      for await (const stored of this.store.readStream(METHODS_POLICY_STREAM, {
        fromRevision: latest.revision === null ? 'start' : latest.revision + 1n,
      })) {
        latest = { policy: methodsPolicyEventOf(stored).data.policy, revision: stored.revision };
      }
    }
    // Concurrent reads: never go back to an older policy than one already seen.
    if (!this.known || (latest.revision ?? -1n) >= (this.known.revision ?? -1n)) this.known = latest;
    return latest;
  }
}
