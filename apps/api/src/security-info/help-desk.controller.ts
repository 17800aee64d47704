import { Body, Controller, Delete, Headers, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@signet/auth';
import {
  defaultMethodView,
  displayPhoneNumber,
  findMethod,
  type MethodDeleted,
  type SecurityInfoRequest,
} from '@signet/domain';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRoles, requireUserIdParameter } from '../auth/auth';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiProblems } from '../openapi/api-problems';
import { ProblemException } from '../problem/problem';
import { Origin, type RequestOrigin } from '../request-context';
import {
  DefaultChangedResponse,
  HelpDeskChangeDefaultRequest,
  HelpDeskReason,
  MethodDeletedResponse,
  PhoneMethodRegisteredResponse,
  REASON_MAX_LENGTH,
  RegisterPhoneMethodRequest,
} from './security-info.dto';
import { HandleSecurityInfoCommand, type SecurityInfoOutcome } from './security-info-command';
import { executeSecurityInfoCommand, IF_MATCH_DOC, parseIfMatch, receipt } from './security-info.controller';

const X_REASON_DOC = {
  name: 'X-Reason',
  required: false,
  description: `Why the administrator makes this change (or \`reason\` in the body; one is required, at most ${REASON_MAX_LENGTH} characters). Recorded in the events' metadata.`,
};

/**
 * The help desk (Microsoft Graph's admin API on a user's phone methods): an authentication administrator
 * registers a phone for a person (verified without a code), deletes a method, or changes the default, always
 * with a reason, on a recent sign-in of their own. Each change is recorded as the administrator's.
 */
@ApiTags('Help desk')
@ApiBearerAuth()
@Controller('v1/users/:userId/security-info')
@Idempotent()
export class HelpDeskController {
  constructor(private readonly commands: CommandBus) {}

  @Post('phone-methods')
  @HttpCode(201)
  @RequireRoles('authenticationAdministrator')
  @ApiHeader(IF_MATCH_DOC)
  @ApiHeader(X_REASON_DOC)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: PhoneMethodRegisteredResponse })
  @ApiProblems(
    'reason-required',
    'invalid-path-parameter',
    'step-up-required',
    'method-not-allowed-by-policy',
    'invalid-phone-number',
    'delivery-method-not-allowed',
    'extension-not-allowed',
    'number-not-allowed',
    'number-cannot-receive-sms',
    'mobile-required',
    'phone-type-taken',
  )
  async registerPhoneMethod(
    @Param('userId') userId: string,
    @Body() body: RegisterPhoneMethodRequest,
    @Headers('x-reason') reasonHeader: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PhoneMethodRegisteredResponse> {
    const { reason, ...fields } = body;
    const request: SecurityInfoRequest = { type: 'RegisterPhoneMethod', ...fields };
    const outcome = await this.run(
      principal,
      userId,
      reasonOf(reason, reasonHeader),
      request,
      origin,
      ifMatch,
      res,
    );
    const added = outcome.newEvents.find((e) => e.type === 'PhoneVerifiedByAdministrator')!;
    const method = findMethod(outcome.newState, added.data.methodId)!;
    const replaced = outcome.newEvents.find(
      (e): e is MethodDeleted => e.type === 'MethodDeleted' && e.data.reason === 'replaced',
    );
    return {
      methodId: method.methodId,
      status: 'verified',
      phoneType: method.phoneType,
      phoneNumber: displayPhoneNumber(method.phoneNumber, method.extension),
      e164: method.phoneNumber,
      defaultMethod: defaultMethodView(outcome.newState),
      replacedMethodId: replaced?.data.methodId ?? null,
      ...receipt(outcome),
    };
  }

  @Delete('methods/:methodId')
  @HttpCode(200)
  @RequireRoles('authenticationAdministrator')
  @ApiHeader(IF_MATCH_DOC)
  @ApiHeader(X_REASON_DOC)
  @ApiOkResponse({ type: MethodDeletedResponse })
  @ApiProblems('reason-required', 'invalid-path-parameter', 'step-up-required', 'method-not-found')
  async deleteMethod(
    @Param('userId') userId: string,
    @Param('methodId') methodId: string,
    @Body() body: HelpDeskReason,
    @Headers('x-reason') reasonHeader: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MethodDeletedResponse> {
    const reason = reasonOf(body?.reason, reasonHeader);
    const request: SecurityInfoRequest = { type: 'DeleteMethod', methodId };
    const outcome = await this.run(principal, userId, reason, request, origin, ifMatch, res);
    return {
      methodId,
      deleted: true,
      defaultMethod: defaultMethodView(outcome.newState),
      ...receipt(outcome),
    };
  }

  @Put('default-method')
  @HttpCode(200)
  @RequireRoles('authenticationAdministrator')
  @ApiHeader(IF_MATCH_DOC)
  @ApiHeader(X_REASON_DOC)
  @ApiOkResponse({ type: DefaultChangedResponse })
  @ApiProblems(
    'reason-required',
    'invalid-path-parameter',
    'step-up-required',
    'method-not-allowed-by-policy',
    'method-not-found',
    'method-not-verified',
    'delivery-method-not-allowed',
    'number-cannot-receive-sms',
  )
  async changeDefault(
    @Param('userId') userId: string,
    @Body() body: HelpDeskChangeDefaultRequest,
    @Headers('x-reason') reasonHeader: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DefaultChangedResponse> {
    const { reason, ...fields } = body;
    const request: SecurityInfoRequest = { type: 'ChangeDefault', ...fields };
    const outcome = await this.run(
      principal,
      userId,
      reasonOf(reason, reasonHeader),
      request,
      origin,
      ifMatch,
      res,
    );
    return {
      defaultMethod: defaultMethodView(outcome.newState)!,
      changed: outcome.newEvents.length > 0,
      ...receipt(outcome),
    };
  }

  private run(
    principal: Principal,
    userId: string,
    reason: string,
    request: SecurityInfoRequest,
    origin: RequestOrigin,
    ifMatch: string | undefined,
    res: Response,
  ): Promise<SecurityInfoOutcome> {
    requireUserIdParameter(userId);
    return executeSecurityInfoCommand(
      this.commands,
      new HandleSecurityInfoCommand(principal, request, origin, parseIfMatch(ifMatch), { userId, reason }),
      res,
    );
  }
}

/** The reason from the body, else from X-Reason: required, one line, at most REASON_MAX_LENGTH characters. */
function reasonOf(body: string | undefined, header: string | undefined): string {
  const reason = (body ?? header ?? '').trim();
  if (!reason || reason.length > REASON_MAX_LENGTH || hasControlCharacter(reason)) {
    throw new ProblemException(
      400,
      'reason-required',
      `Say why you make this change: "reason" in the body or the X-Reason header, one line of at most ${REASON_MAX_LENGTH} characters.`,
    );
  }
  return reason;
}

/** A reason is one line of text: no newline (it would forge lines in logs and exports) nor other control. */
function hasControlCharacter(text: string): boolean {
  return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}
