import { Module } from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import { VerificationCodes } from '@signet/domain';
import { SIGNET_CONFIG } from '../core/core.module';
import { CHALLENGE_SETTINGS, type ChallengeSettings } from './challenge-settings';
import { HandleSignInChallengeCommandHandler } from './sign-in-challenge-command';
import { SignInChallengesController } from './sign-in-challenges.controller';

/** Sign-in challenges for trusted services: start, resend or switch, verify (issue 15). */
@Module({
  controllers: [SignInChallengesController],
  providers: [
    {
      provide: CHALLENGE_SETTINGS,
      inject: [SIGNET_CONFIG],
      useFactory: (config: SignetConfig): ChallengeSettings => ({
        // The authentication methods policy in force is added per command.
        policy: config.policy,
        codes: new VerificationCodes(config.codeSecret),
      }),
    },
    HandleSignInChallengeCommandHandler,
  ],
})
export class SignInChallengesModule {}
