import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { isValidSubject, type Principal } from '@signet/auth';
import {
  SecurityInfoRefusal,
  userIdOfChallenge,
  type SecurityInfoEvent,
  type SignInChallengeCodeSent,
  type SignInChallengeRequest,
  type SignInChallengeSucceeded,
} from '@signet/domain';
import { CurrentPrincipal, RequireRoles, requireUserIdParameter } from '../auth/auth';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiProblems } from '../openapi/api-problems';
import { Origin, type RequestOrigin } from '../request-context';
import { CHALLENGE_SETTINGS, type ChallengeSettings } from './challenge-settings';
import { HandleSignInChallengeCommand } from './sign-in-challenge-command';
import {
  ChallengeCodeSentResponse,
  ChallengeVerifiedResponse,
  ResendChallengeRequest,
  StartChallengeRequest,
  VerifyChallengeRequest,
} from './sign-in-challenges.dto';

/**
 * Sign-in challenges, for a trusted service only (role `signInService`: the identity provider, the
 * password-reset service): challenge a person with their registered phone, as Twilio Verify or Entra's MFA do.
 * `/v1/challenges/{challengeId}` names no user: the challenge id does (see newChallengeId).
 */
@ApiTags('Sign-in challenges')
@ApiBearerAuth()
@Controller('v1')
@RequireRoles('signInService')
@Idempotent()
export class SignInChallengesController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(CHALLENGE_SETTINGS) private readonly settings: ChallengeSettings,
  ) {}

  @Post('users/:userId/challenges')
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: ChallengeCodeSentResponse })
  @ApiProblems(
    'invalid-path-parameter',
    'no-sign-in-method',
    'method-not-found',
    'method-not-verified',
    'delivery-method-not-allowed',
    'resend-cooldown',
    'code-limit-reached',
    'too-many-failed-challenges',
  )
  async startSignInChallenge(
    @Param('userId') userId: string,
    @Body() body: StartChallengeRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
  ): Promise<ChallengeCodeSentResponse> {
    requireUserIdParameter(userId);
    const events = await this.run(principal, userId, { type: 'StartSignInChallenge', ...body }, origin);
    return this.codeSentView(events);
  }

  @Post('challenges/:challengeId/resend')
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiAcceptedResponse({ type: ChallengeCodeSentResponse })
  @ApiProblems(
    'challenge-not-found',
    'challenge-completed',
    'method-not-found',
    'method-not-verified',
    'delivery-method-not-allowed',
    'resend-cooldown',
    'code-limit-reached',
    'too-many-failed-challenges',
  )
  async resendSignInChallenge(
    @Param('challengeId') challengeId: string,
    @Body() body: ResendChallengeRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
  ): Promise<ChallengeCodeSentResponse> {
    const userId = userOf(challengeId);
    const events = await this.run(
      principal,
      userId,
      { type: 'ResendSignInChallenge', challengeId, ...body },
      origin,
    );
    return this.codeSentView(events);
  }

  @Post('challenges/:challengeId/verify')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOkResponse({ type: ChallengeVerifiedResponse })
  @ApiProblems(
    'challenge-not-found',
    'challenge-completed',
    'method-not-found',
    'code-incorrect',
    'code-locked',
    'code-expired',
    'too-many-failed-challenges',
  )
  async verifySignInChallenge(
    @Param('challengeId') challengeId: string,
    @Body() body: VerifyChallengeRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
  ): Promise<ChallengeVerifiedResponse> {
    const userId = userOf(challengeId);
    const events = await this.run(
      principal,
      userId,
      { type: 'VerifySignInChallenge', challengeId, code: body.code },
      origin,
    );
    const succeeded = events.find(
      (e): e is SignInChallengeSucceeded => e.type === 'SignInChallengeSucceeded',
    );
    if (!succeeded) throw new Error('The verification recorded no SignInChallengeSucceeded');
    const { purpose, methodId, channel, verifiedAt } = succeeded.data;
    return { result: 'succeeded', challengeId, purpose, methodId, channel, verifiedAt };
  }

  private async run(
    principal: Principal,
    userId: string,
    request: SignInChallengeRequest,
    origin: RequestOrigin,
  ): Promise<SecurityInfoEvent[]> {
    const outcome = await this.commands.execute(
      new HandleSignInChallengeCommand(principal, userId, request, origin),
    );
    // A wrong code is recorded (SignInChallengeFailed) and still refused.
    if (outcome.refusal) throw outcome.refusal;
    return outcome.newEvents;
  }

  private codeSentView(events: SecurityInfoEvent[]): ChallengeCodeSentResponse {
    const sent = events
      .filter((e): e is SignInChallengeCodeSent => e.type === 'SignInChallengeCodeSent')
      .pop();
    if (!sent) throw new Error('The command recorded no SignInChallengeCodeSent');
    const { challengeId, purpose, methodId, channel, destination, expiresAt, sentAt } = sent.data;
    return {
      challengeId,
      purpose,
      methodId,
      channel,
      destination,
      expiresAt,
      resendAvailableAt: new Date(
        Date.parse(sentAt) + this.settings.policy.resendCooldownSeconds * 1000,
      ).toISOString(),
    };
  }
}

/** The person a challenge id names; an id that names nobody is a challenge that does not exist. */
function userOf(challengeId: string): string {
  const userId = userIdOfChallenge(challengeId);
  if (userId === null || !isValidSubject(userId)) {
    throw new SecurityInfoRefusal('challenge-not-found', 'No such challenge.');
  }
  return userId;
}
