import { CommandHandler, type CommandResult } from '@signet/command-handling';
import {
  codeDeliveryDecider,
  codeDeliveryStream,
  securityInfoEventOf,
  securityInfoRecord,
  securityInfoStream,
  signInChallengeStream,
  type CodeDeliveryCommand,
  type CodeDeliveryState,
  type SecurityInfoEvent,
} from '@signet/domain';
import type { EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';

/** Who recorded an outcome, and what caused it (the CodeSent event, or the provider's report). */
export interface OutcomeOrigin {
  /** `system:dispatcher`, or `provider:<name>` for delivery reports. */
  actor: string;
  commandType: 'DispatchCode' | 'ReportDelivery' | 'DispatchNotice';
  correlationId: string | null;
  causationId: string;
}

export type CodeDeliveryResult = CommandResult<CodeDeliveryState, SecurityInfoEvent>;

/**
 * Decides, through the one command handler, what becomes of a user's codes, and records it on the user's
 * code-delivery stream (never on the Security info stream: background work must not move the page's
 * revision). The decisions read the Security info stream too, for the live code of each method, and the
 * sign-in challenge stream, for each challenge's live code.
 */
export class DeliveryRecorder {
  private readonly handler: CommandHandler<CodeDeliveryState, CodeDeliveryCommand, SecurityInfoEvent>;

  constructor(
    store: EventStore,
    private readonly now: () => Date,
  ) {
    this.handler = new CommandHandler(store, codeDeliveryDecider, { eventOf: securityInfoEventOf });
  }

  /** `known`: the result of the decision before, for the same user (spares reading both streams again). */
  async decide(
    userId: string,
    command: CodeDeliveryCommand,
    origin: OutcomeOrigin,
    known?: CodeDeliveryResult,
  ): Promise<CodeDeliveryResult> {
    return this.handler.handle(command, {
      streamId: codeDeliveryStream(userId),
      alsoReads: [securityInfoStream(userId), signInChallengeStream(userId)],
      knownState: known && { state: known.newState, revision: known.revision, position: known.position },
      toAppend: (events) =>
        events.map((event) =>
          securityInfoRecord(event, randomUUID(), this.now(), {
            actor: { subject: origin.actor, roles: [] },
            commandType: origin.commandType,
            correlationId: origin.correlationId,
            causationId: origin.causationId,
            clientAddress: null,
            userAgent: null,
          }),
        ),
    });
  }
}
