import { Module } from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import { VerificationCodes } from '@signet/domain';
import { SIGNET_CONFIG } from '../core/core.module';
import { DECISION_SETTINGS, type DecisionSettings } from './decision-settings';
import { HandleSecurityInfoCommandHandler } from './security-info-command';
import { HelpDeskController } from './help-desk.controller';
import { SecurityInfoController } from './security-info.controller';

/** The commands of the Security info page (add, resend, verify, delete, change default), and the help desk's. */
@Module({
  controllers: [SecurityInfoController, HelpDeskController],
  providers: [
    {
      provide: DECISION_SETTINGS,
      inject: [SIGNET_CONFIG],
      useFactory: (config: SignetConfig): DecisionSettings => ({
        policy: config.policy,
        codes: new VerificationCodes(config.codeSecret),
        stepUp: config.stepUp,
      }),
    },
    HandleSecurityInfoCommandHandler,
  ],
})
export class SecurityInfoModule {}
