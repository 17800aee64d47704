import { readMethodsPolicy, type PolicyAt } from '@signet/command-handling';
import { METHODS_POLICY_STREAM, methodsPolicyEventOf, type MethodsPolicy } from '@signet/domain';
import type { EventStore } from '@signet/event-store';

/**
 * The authentication methods policy in force, as the worker checks it before every message: the policy last
 * read is remembered and only the policy stream's tail after it is read (no row while the policy has not
 * changed, instead of reading and parsing its last event for every message). A change made by any process is
 * still seen by the next message: the tail is read every time.
 */
export class MethodsPolicyInForce {
  private known: PolicyAt | null = null;

  constructor(private readonly store: EventStore) {}

  async policy(): Promise<MethodsPolicy> {
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
    // Concurrent messages read concurrently: never go back to an older policy than one already seen.
    if (!this.known || (latest.revision ?? -1n) >= (this.known.revision ?? -1n)) this.known = latest;
    return latest.policy;
  }
}
