import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Principal } from '@signet/auth';
import { CommandHandler as DeciderCommandHandler, type CommandResult } from '@signet/command-handling';
import {
  newChallengeId,
  securityInfoEventOf,
  securityInfoStream,
  signInChallengeCommand,
  signInChallengeDecider,
  signInChallengeStream,
  type SecurityInfoEvent,
  type SignInChallengeCommand,
  type SignInChallengeRequest,
  type SignInChallenges,
} from '@signet/domain';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { CLOCK, type Clock } from '../clock';
import { MethodsPolicies } from '../methods-policy/methods-policies';
import { recordsOfRequest, type RequestOrigin } from '../request-context';
import { CHALLENGE_SETTINGS, type ChallengeSettings } from './challenge-settings';

export type SignInChallengeOutcome = CommandResult<SignInChallenges, SecurityInfoEvent>;

/** One request of a trusted service about one person's sign-in challenges, as it arrived over HTTP. */
export class HandleSignInChallengeCommand extends Command<SignInChallengeOutcome> {
  constructor(
    /** The requesting service (role `signInService`). */
    readonly principal: Principal,
    /** The person challenged: named in the route, or by the challenge id. */
    readonly userId: string,
    readonly request: SignInChallengeRequest,
    readonly origin: RequestOrigin,
  ) {
    super();
  }
}

/**
 * The Nest shell around the one command handler for challenges: decided on the person's challenge stream and
 * their Security info stream (read, never written: the page's revision does not move), recorded on the
 * challenge stream with the requesting service as the actor.
 */
@CommandHandler(HandleSignInChallengeCommand)
export class HandleSignInChallengeCommandHandler implements ICommandHandler<HandleSignInChallengeCommand> {
  private readonly handler: DeciderCommandHandler<
    SignInChallenges,
    SignInChallengeCommand,
    SecurityInfoEvent
  >;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CHALLENGE_SETTINGS) private readonly settings: ChallengeSettings,
    private readonly policies: MethodsPolicies,
  ) {
    this.handler = new DeciderCommandHandler(store, signInChallengeDecider, { eventOf: securityInfoEventOf });
  }

  async execute({
    principal,
    userId,
    request,
    origin,
  }: HandleSignInChallengeCommand): Promise<SignInChallengeOutcome> {
    const now = this.clock.now();
    const { policy: methodsPolicy } = await this.policies.current();
    const command = signInChallengeCommand(request, {
      now,
      // The authentication methods policy in force: a method or channel it does not allow is not used.
      policy: { ...this.settings.policy, methodsPolicy },
      codes: this.settings.codes,
      requestedBy: principal.subject,
      newId: randomUUID,
      newChallengeId: () => newChallengeId(userId),
    });
    return this.handler.handle(command, {
      streamId: signInChallengeStream(userId),
      alsoReads: [securityInfoStream(userId)],
      toAppend: (events) => recordsOfRequest(events, { now, commandType: command.type, principal, origin }),
    });
  }
}
