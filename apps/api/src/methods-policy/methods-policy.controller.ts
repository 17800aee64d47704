import { Body, Controller, Get, Headers, HttpCode, Inject, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@signet/auth';
import { CommandHandler } from '@signet/command-handling';
import {
  METHODS_POLICY_STREAM,
  methodsPolicyDecider,
  methodsPolicyEventOf,
  type MethodsPolicy,
  type MethodsPolicyEvent,
  type SetMethodsPolicy,
} from '@signet/domain';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRoles } from '../auth/auth';
import { CLOCK, type Clock } from '../clock';
import { ApiProblems } from '../openapi/api-problems';
import { Origin, recordsOfRequest, type RequestOrigin } from '../request-context';
import { IF_MATCH_DOC, parseIfMatch } from '../security-info/security-info.controller';
import { MethodsPolicies } from './methods-policies';
import { AuthenticationMethodsPolicyBody } from './methods-policy.dto';

const ETAG_HEADER = {
  ETag: { description: "The policy stream's revision, for If-Match on PUT (absent while it was never set)." },
};

/**
 * The authentication methods policy (Entra's, for the whole deployment), set by the role
 * `authenticationPolicyAdministrator`: an event on its own stream per change, so its history is auditable.
 */
@ApiTags('Authentication methods policy')
@ApiBearerAuth()
@Controller('v1/admin/authentication-methods-policy')
export class MethodsPolicyController {
  private readonly handler: CommandHandler<MethodsPolicy, SetMethodsPolicy, MethodsPolicyEvent>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly policies: MethodsPolicies,
  ) {
    this.handler = new CommandHandler(store, methodsPolicyDecider, { eventOf: methodsPolicyEventOf });
  }

  @Get()
  @RequireRoles('authenticationPolicyAdministrator')
  @ApiOkResponse({ type: AuthenticationMethodsPolicyBody, headers: ETAG_HEADER })
  async get(@Res({ passthrough: true }) res: Response): Promise<MethodsPolicy> {
    const { policy, revision } = await this.policies.current();
    if (revision !== null) res.setHeader('ETag', `"${revision}"`);
    return policy;
  }

  @Put()
  @HttpCode(200)
  @RequireRoles('authenticationPolicyAdministrator')
  @ApiHeader(IF_MATCH_DOC)
  @ApiOkResponse({ type: AuthenticationMethodsPolicyBody, headers: ETAG_HEADER })
  @ApiProblems('precondition-failed')
  async put(
    @Body() body: AuthenticationMethodsPolicyBody,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MethodsPolicy> {
    const now = this.clock.now();
    const command: SetMethodsPolicy = { type: 'SetMethodsPolicy', data: { policy: body }, metadata: { now } };
    const outcome = await this.handler.handle(command, {
      streamId: METHODS_POLICY_STREAM,
      expectedRevision: parseIfMatch(ifMatch),
      toAppend: (events) => recordsOfRequest(events, { now, commandType: command.type, principal, origin }),
    });
    if (outcome.revision !== null) res.setHeader('ETag', `"${outcome.revision}"`);
    return outcome.newState;
  }
}
