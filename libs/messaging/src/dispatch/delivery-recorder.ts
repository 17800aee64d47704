import { securityInfoRecord, securityInfoStream, type CodeDeliveryEvent } from '@signet/domain';
import type { EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';

/** Who recorded an outcome, and what caused it (the CodeSent event, or the provider's report). */
export interface OutcomeOrigin {
  /** `system:dispatcher`, or `provider:<name>` for delivery reports. */
  actor: string;
  commandType: 'DispatchCode' | 'ReportDelivery';
  correlationId: string | null;
  causationId: string;
}

/**
 * Records what became of a code on the user's own stream, beside the CodeSent it follows, so the audit
 * trail tells the whole story. Appended with 'any': an outcome is a fact that no decision depends on.
 */
export class DeliveryRecorder {
  constructor(
    private readonly store: EventStore,
    private readonly now: () => Date,
  ) {}

  async record(userId: string, event: CodeDeliveryEvent, origin: OutcomeOrigin): Promise<void> {
    await this.store.appendToStream(
      securityInfoStream(userId),
      [
        securityInfoRecord(event, randomUUID(), this.now(), {
          actor: { subject: origin.actor, roles: [] },
          commandType: origin.commandType,
          correlationId: origin.correlationId,
          causationId: origin.causationId,
          clientAddress: null,
          userAgent: null,
        }),
      ],
      { expectedRevision: 'any' },
    );
  }
}
