import { SECURITY_INFO_SCHEMA_VERSION, securityInfoStream, type CodeDeliveryEvent } from '@signet/domain';
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
    const id = randomUUID();
    await this.store.appendToStream(
      securityInfoStream(userId),
      [
        {
          id,
          type: event.type,
          data: event.data as unknown as Record<string, unknown>,
          metadata: {
            eventId: id,
            occurredAt: this.now().toISOString(),
            actor: { subject: origin.actor, roles: [] },
            commandType: origin.commandType,
            correlationId: origin.correlationId,
            causationId: origin.causationId,
            clientAddress: null,
            userAgent: null,
            schemaVersion: SECURITY_INFO_SCHEMA_VERSION,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
  }
}
