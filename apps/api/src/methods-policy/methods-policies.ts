import { Inject, Injectable } from '@nestjs/common';
import { readMethodsPolicy, type PolicyAt } from '@signet/command-handling';
import { EVENT_STORE, type EventStore } from '@signet/event-store';

/** The authentication methods policy in force, for every decision and page (read afresh each time). */
@Injectable()
export class MethodsPolicies {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  current(): Promise<PolicyAt> {
    return readMethodsPolicy(this.store);
  }
}
