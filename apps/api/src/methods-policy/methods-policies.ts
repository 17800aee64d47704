import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_METHODS_POLICY,
  METHODS_POLICY_STREAM,
  methodsPolicyEventOf,
  type MethodsPolicy,
} from '@signet/domain';
import { EVENT_STORE, type EventStore } from '@signet/event-store';

/** The policy in force and the revision of its stream (null: never set, everything allowed). */
export interface PolicyAt {
  policy: MethodsPolicy;
  revision: bigint | null;
}

/**
 * The authentication methods policy in force, read from its stream on each use: every event carries the whole
 * policy, so its last event is all there is to read, and every API instance sees a change at once.
 */
@Injectable()
export class MethodsPolicies {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async current(): Promise<PolicyAt> {
    for await (const stored of this.store.readStream(METHODS_POLICY_STREAM, {
      direction: 'backwards',
      fromRevision: 'end',
      maxCount: 1,
    })) {
      return { policy: methodsPolicyEventOf(stored).data.policy, revision: stored.revision };
    }
    return { policy: DEFAULT_METHODS_POLICY, revision: null };
  }
}
