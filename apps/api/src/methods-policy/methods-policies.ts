import { Inject, Injectable } from '@nestjs/common';
import { MethodsPolicyInForce, type PolicyAt } from '@signet/command-handling';
import { EVENT_STORE, type EventStore } from '@signet/event-store';

/** The authentication methods policy in force, for every decision and page (its stream's tail read each time). */
@Injectable()
export class MethodsPolicies {
  private readonly inForce: MethodsPolicyInForce;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.inForce = new MethodsPolicyInForce(store);
  }

  current(): Promise<PolicyAt> {
    return this.inForce.current();
  }
}
