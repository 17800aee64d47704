import { Inject, Logger } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Principal } from '@signet/auth';
import {
  decide,
  evolve,
  securityInfoRecord,
  securityInfoStream,
  type DecisionContext,
  type SecurityInfo,
  type SecurityInfoCommand,
  type SecurityInfoEvent,
} from '@signet/domain';
import { EVENT_STORE, WrongExpectedRevisionError, type EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { CLOCK, type Clock } from '../clock';
import type { RequestOrigin } from '../request-context';
import { DECISION_SETTINGS, type DecisionSettings } from './decision-settings';
import { SecurityInfoStates } from './security-info-states';

export interface SecurityInfoOutcome {
  /** What the command recorded (empty when it changed nothing). */
  recorded: SecurityInfoEvent[];
  /** The user's Security info after the command. */
  state: SecurityInfo;
  /** The stream's revision after the command; null while the user has no history. */
  revision: bigint | null;
  /** The global position of the last event on the stream; for read-your-writes on the page query. */
  position: bigint | null;
}

/** One command from one person about their own Security info, as it arrived over HTTP. */
export class HandleSecurityInfoCommand extends Command<SecurityInfoOutcome> {
  constructor(
    readonly principal: Principal,
    readonly command: SecurityInfoCommand,
    readonly origin: RequestOrigin,
    /** From If-Match: the revision the client last saw; the command is refused if the stream moved on. */
    readonly expectedRevision?: bigint,
  ) {
    super();
  }
}

/** Raised when If-Match names a revision the stream is no longer (or not yet) at. */
export class StaleRevisionError extends Error {
  override readonly name = 'StaleRevisionError';
  constructor(readonly actual: bigint | null) {
    super(`The Security info has changed since revision you sent; it is now at ${actual ?? 'no revision'}.`);
  }
}

const MAX_ATTEMPTS = 6;

/**
 * Load the stream, fold it, decide, append with the revision that was read. When another command on the
 * same user wins the race, decide again on the fresh state: short and bounded, and never a lost update.
 */
@CommandHandler(HandleSecurityInfoCommand)
export class HandleSecurityInfoCommandHandler implements ICommandHandler<HandleSecurityInfoCommand> {
  private readonly logger = new Logger('SecurityInfoCommand');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DECISION_SETTINGS) private readonly settings: DecisionSettings,
  ) {
    this.states = new SecurityInfoStates(store);
  }

  private readonly states: SecurityInfoStates;

  async execute({
    principal,
    command,
    origin,
    expectedRevision,
  }: HandleSecurityInfoCommand): Promise<SecurityInfoOutcome> {
    const streamId = securityInfoStream(principal.subject);
    for (let attempt = 1; ; attempt++) {
      const current = await this.states.load(streamId);
      if (expectedRevision !== undefined && current.revision !== expectedRevision) {
        throw new StaleRevisionError(current.revision);
      }
      const now = this.clock.now();
      const context: DecisionContext = {
        now,
        newId: randomUUID,
        codeMatches: (codeId, code) => this.settings.codes.matches(codeId, code),
        policy: this.settings.policy,
      };
      const events = decide(command, current.state, context);
      if (events.length === 0) return { recorded: [], ...current };

      const causationId = origin.requestId;
      const toAppend = events.map((event) =>
        securityInfoRecord(event, randomUUID(), now, {
          actor: { subject: principal.subject, roles: principal.roles },
          commandType: command.type,
          correlationId: origin.correlationId,
          causationId,
          clientAddress: origin.clientAddress,
          userAgent: origin.userAgent,
        }),
      );
      try {
        const appended = await this.store.appendToStream(streamId, toAppend, {
          expectedRevision: current.revision ?? 'no_stream',
        });
        const after = {
          state: events.reduce(evolve, current.state),
          revision: appended.nextRevision,
          position: appended.position,
        };
        this.states.remember(streamId, after);
        return { recorded: events, ...after };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (expectedRevision !== undefined)
          throw new StaleRevisionError(error.actual === 'no_stream' ? null : error.actual);
        if (attempt >= MAX_ATTEMPTS) throw error;
        this.logger.debug(`Concurrent write on ${streamId}; deciding again (attempt ${attempt + 1})`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }
}
