import { Global, Module } from '@nestjs/common';
import { MethodsPolicies } from './methods-policies';
import { MethodsPolicyController } from './methods-policy.controller';

/** The authentication methods policy: its routes, and the policy in force for every decision and page. */
@Global()
@Module({
  controllers: [MethodsPolicyController],
  providers: [MethodsPolicies],
  exports: [MethodsPolicies],
})
export class MethodsPolicyModule {}
