import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Principal } from '@signet/auth';
import { CommandHandler as DeciderCommandHandler, type CommandResult } from '@signet/command-handling';
import {
  securityInfoCommand,
  securityInfoDecider,
  securityInfoEventOf,
  securityInfoStream,
  type SecurityInfo,
  type SecurityInfoCommand,
  type SecurityInfoEvent,
  type SecurityInfoRequest,
} from '@signet/domain';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { CLOCK, type Clock } from '../clock';
import { MethodsPolicies } from '../methods-policy/methods-policies';
import { recordsOfRequest, type RequestOrigin } from '../request-context';
import { DECISION_SETTINGS, type DecisionSettings } from './decision-settings';

export type SecurityInfoOutcome = CommandResult<SecurityInfo, SecurityInfoEvent>;

/**
 * One request about a person's Security info, as it arrived over HTTP: from the person themselves, or from
 * an authentication administrator acting for them (`helpDesk`).
 */
export class HandleSecurityInfoCommand extends Command<SecurityInfoOutcome> {
  constructor(
    readonly principal: Principal,
    readonly request: SecurityInfoRequest,
    readonly origin: RequestOrigin,
    /** From If-Match: the revision the client last saw; the command is refused if the stream moved on. */
    readonly expectedRevision?: bigint,
    /** Set when an authentication administrator acts for the person `userId`, for the reason given. */
    readonly helpDesk?: { userId: string; reason: string },
  ) {
    super();
  }
}

/**
 * The Nest shell around the one command handler: the request becomes a command with the clock's time, the
 * configured rules and fresh ids, and is decided on the person's Security info stream. Every event carries
 * who asked, from where, and as part of what.
 */
@CommandHandler(HandleSecurityInfoCommand)
export class HandleSecurityInfoCommandHandler implements ICommandHandler<HandleSecurityInfoCommand> {
  private readonly handler: DeciderCommandHandler<SecurityInfo, SecurityInfoCommand, SecurityInfoEvent>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DECISION_SETTINGS) private readonly settings: DecisionSettings,
    private readonly policies: MethodsPolicies,
  ) {
    this.handler = new DeciderCommandHandler(store, securityInfoDecider, { eventOf: securityInfoEventOf });
  }

  async execute({
    principal,
    request,
    origin,
    expectedRevision,
    helpDesk,
  }: HandleSecurityInfoCommand): Promise<SecurityInfoOutcome> {
    const now = this.clock.now();
    const command = securityInfoCommand(request, {
      now,
      policy: this.settings.policy,
      codes: this.settings.codes,
      authentication: principal.authentication ?? null,
      stepUp: this.settings.stepUp,
      methodsPolicy: (await this.policies.current()).policy,
      ...(helpDesk ? { administrator: principal.subject } : {}),
      newId: randomUUID,
    });
    return this.handler.handle(command, {
      streamId: securityInfoStream(helpDesk?.userId ?? principal.subject),
      expectedRevision,
      toAppend: (events) =>
        recordsOfRequest(events, {
          now,
          commandType: command.type,
          principal,
          origin,
          reason: helpDesk?.reason,
        }),
    });
  }
}
