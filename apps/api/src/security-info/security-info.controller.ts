import { Body, Controller, Delete, Headers, HttpCode, Param, Patch, Post, Put, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '@signet/auth';
import {
  defaultMethodView,
  displayPhoneNumber,
  findMethod,
  maskPhoneNumber,
  withPhoneNumbersParsedOnce,
  type CodeSent,
  type MethodDeleted,
  type SecurityInfoEvent,
  type SecurityInfoRequest,
} from '@signet/domain';
import type { Response } from 'express';
import { CurrentPrincipal } from '../auth/auth';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiProblems } from '../openapi/api-problems';
import { ProblemException } from '../problem/problem';
import { Origin, type RequestOrigin } from '../request-context';
import {
  AddPhoneMethodRequest,
  ChangeDefaultRequest,
  ChangePhoneNumberRequest,
  CodeResentResponse,
  DefaultChangedResponse,
  MethodDeletedResponse,
  NumberChangeCancelledResponse,
  NumberChangeStartedResponse,
  PhoneMethodAddedResponse,
  PhoneVerifiedResponse,
  ResendCodeRequest,
  type SentCodeView,
  VerifyPhoneRequest,
} from './security-info.dto';
import { HandleSecurityInfoCommand, type SecurityInfoOutcome } from './security-info-command';

export const IF_MATCH_DOC = {
  name: 'If-Match',
  required: false,
  description:
    'The ETag (stream revision) last seen; the command is refused with 412 if the stream moved on.',
};

@ApiTags('Security info commands')
@ApiBearerAuth()
@Controller('v1/me/security-info')
@Idempotent()
export class SecurityInfoController {
  constructor(private readonly commands: CommandBus) {}

  @Post('phone-methods')
  @HttpCode(201)
  @ApiHeader(IF_MATCH_DOC)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: PhoneMethodAddedResponse })
  @ApiProblems(
    'step-up-required',
    'method-not-allowed-by-policy',
    'invalid-phone-number',
    'delivery-method-not-allowed',
    'extension-not-allowed',
    'number-not-allowed',
    'number-cannot-receive-sms',
    'mobile-required',
    'phone-type-taken',
    'resend-cooldown',
    'code-limit-reached',
  )
  async addPhoneMethod(
    @Body() body: AddPhoneMethodRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PhoneMethodAddedResponse> {
    const outcome = await this.run(principal, { type: 'AddPhoneMethod', ...body }, origin, ifMatch, res);
    const sent = lastCodeSent(outcome.newEvents);
    const method = findMethod(outcome.newState, sent.methodId)!;
    const replaced = outcome.newEvents.find(
      (e): e is MethodDeleted => e.type === 'MethodDeleted' && e.data.reason === 'replaced',
    );
    return {
      methodId: method.methodId,
      status: 'pendingVerification',
      phoneType: method.phoneType,
      phoneNumber: displayPhoneNumber(method.phoneNumber, method.extension),
      e164: method.phoneNumber,
      code: codeView(sent),
      replacedMethodId: replaced?.data.methodId ?? null,
      ...receipt(outcome),
    };
  }

  @Post('phone-methods/:methodId/resend')
  @HttpCode(202)
  @ApiHeader(IF_MATCH_DOC)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiAcceptedResponse({ type: CodeResentResponse })
  @ApiProblems(
    'step-up-required',
    'method-not-allowed-by-policy',
    'method-not-found',
    'method-already-verified',
    'delivery-method-not-allowed',
    'number-cannot-receive-sms',
    'resend-cooldown',
    'code-limit-reached',
  )
  async resendCode(
    @Param('methodId') methodId: string,
    @Body() body: ResendCodeRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CodeResentResponse> {
    const outcome = await this.run(
      principal,
      { type: 'ResendCode', methodId, ...body },
      origin,
      ifMatch,
      res,
    );
    return { methodId, code: codeView(lastCodeSent(outcome.newEvents)), ...receipt(outcome) };
  }

  @Post('phone-methods/:methodId/verify')
  @HttpCode(200)
  @ApiHeader(IF_MATCH_DOC)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOkResponse({ type: PhoneVerifiedResponse })
  @ApiProblems(
    'step-up-required',
    'method-not-allowed-by-policy',
    'method-not-found',
    'method-already-verified',
    'code-incorrect',
    'code-locked',
    'code-expired',
  )
  async verifyPhone(
    @Param('methodId') methodId: string,
    @Body() body: VerifyPhoneRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PhoneVerifiedResponse> {
    const outcome = await this.run(
      principal,
      { type: 'VerifyPhone', methodId, code: body.code },
      origin,
      ifMatch,
      res,
    );
    const method = findMethod(outcome.newState, methodId)!;
    // The phone shown twice when it is the default: parsed once.
    return withPhoneNumbersParsedOnce(() => ({
      methodId,
      status: 'verified' as const,
      phoneNumber: displayPhoneNumber(method.phoneNumber, method.extension),
      numberChanged: outcome.newEvents.some((e) => e.type === 'PhoneNumberChanged'),
      defaultMethod: defaultMethodView(outcome.newState),
      ...receipt(outcome),
    }));
  }

  /**
   * Graph's update of a phone method: a code goes to the new number; the method keeps its old number (and
   * stays the default if it was) until POST …/verify proves the new one. A second change replaces the first.
   */
  @Patch('phone-methods/:methodId')
  @HttpCode(202)
  @ApiHeader(IF_MATCH_DOC)
  @ApiAcceptedResponse({ type: NumberChangeStartedResponse })
  @ApiProblems(
    'step-up-required',
    'method-not-allowed-by-policy',
    'method-not-found',
    'method-not-verified',
    'invalid-phone-number',
    'delivery-method-not-allowed',
    'extension-not-allowed',
    'number-not-allowed',
    'number-cannot-receive-sms',
    'number-unchanged',
    'resend-cooldown',
    'code-limit-reached',
  )
  async changePhoneNumber(
    @Param('methodId') methodId: string,
    @Body() body: ChangePhoneNumberRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<NumberChangeStartedResponse> {
    const outcome = await this.run(
      principal,
      { type: 'ChangePhoneNumber', methodId, ...body },
      origin,
      ifMatch,
      res,
    );
    const method = findMethod(outcome.newState, methodId)!;
    return {
      methodId,
      status: 'verified',
      phoneNumber: displayPhoneNumber(method.phoneNumber, method.extension),
      pendingNumber: maskPhoneNumber(method.pendingChange!.phoneNumber),
      code: codeView(lastCodeSent(outcome.newEvents)),
      ...receipt(outcome),
    };
  }

  /** Cancels a number change waiting for its code: the method keeps its number. */
  @Delete('phone-methods/:methodId/pending-change')
  @HttpCode(200)
  @ApiHeader(IF_MATCH_DOC)
  @ApiOkResponse({ type: NumberChangeCancelledResponse })
  @ApiProblems('method-not-found', 'no-pending-change')
  async cancelPhoneNumberChange(
    @Param('methodId') methodId: string,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<NumberChangeCancelledResponse> {
    const outcome = await this.run(
      principal,
      { type: 'CancelPhoneNumberChange', methodId },
      origin,
      ifMatch,
      res,
    );
    const method = findMethod(outcome.newState, methodId)!;
    return {
      methodId,
      cancelled: true,
      phoneNumber: displayPhoneNumber(method.phoneNumber, method.extension),
      ...receipt(outcome),
    };
  }

  @Delete('methods/:methodId')
  @HttpCode(200)
  @ApiHeader(IF_MATCH_DOC)
  @ApiOkResponse({ type: MethodDeletedResponse })
  @ApiProblems('step-up-required', 'method-not-found')
  async deleteMethod(
    @Param('methodId') methodId: string,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MethodDeletedResponse> {
    const outcome = await this.run(principal, { type: 'DeleteMethod', methodId }, origin, ifMatch, res);
    return {
      methodId,
      deleted: true,
      defaultMethod: defaultMethodView(outcome.newState),
      ...receipt(outcome),
    };
  }

  @Put('default-method')
  @HttpCode(200)
  @ApiHeader(IF_MATCH_DOC)
  @ApiOkResponse({ type: DefaultChangedResponse })
  @ApiProblems(
    'step-up-required',
    'method-not-allowed-by-policy',
    'method-not-found',
    'method-not-verified',
    'delivery-method-not-allowed',
    'number-cannot-receive-sms',
  )
  async changeDefault(
    @Body() body: ChangeDefaultRequest,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DefaultChangedResponse> {
    const outcome = await this.run(principal, { type: 'ChangeDefault', ...body }, origin, ifMatch, res);
    return {
      defaultMethod: defaultMethodView(outcome.newState)!,
      changed: outcome.newEvents.length > 0,
      ...receipt(outcome),
    };
  }

  private run(
    principal: Principal,
    request: SecurityInfoRequest,
    origin: RequestOrigin,
    ifMatch: string | undefined,
    res: Response,
  ): Promise<SecurityInfoOutcome> {
    return executeSecurityInfoCommand(
      this.commands,
      new HandleSecurityInfoCommand(principal, request, origin, parseIfMatch(ifMatch)),
      res,
    );
  }
}

/** Runs one command on the bus; answers its ETag, and its refusal (after the ETag) when it was refused. */
export async function executeSecurityInfoCommand(
  commands: CommandBus,
  command: HandleSecurityInfoCommand,
  res: Response,
): Promise<SecurityInfoOutcome> {
  const outcome = await commands.execute(command);
  if (outcome.revision !== null) res.setHeader('ETag', `"${outcome.revision}"`);
  // A refusal that recorded something (a wrong code) moved the revision too: the ETag above says where to.
  if (outcome.refusal) throw outcome.refusal;
  return outcome;
}

/** `If-Match: "7"` → 7n; `*` or absent → no precondition. */
export function parseIfMatch(header: string | undefined): bigint | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*"(\d{1,19})"\s*$/.exec(header);
  if (!match) {
    throw new ProblemException(
      400,
      'invalid-if-match',
      'If-Match must be one ETag as returned by the API, e.g. "3".',
    );
  }
  return BigInt(match[1]);
}

export function receipt(outcome: SecurityInfoOutcome): { revision: string | null; position: string | null } {
  return { revision: outcome.revision?.toString() ?? null, position: outcome.position?.toString() ?? null };
}

function lastCodeSent(events: SecurityInfoEvent[]): CodeSent['data'] {
  const sent = events.filter((e): e is CodeSent => e.type === 'CodeSent').pop();
  if (!sent) throw new Error('The command recorded no CodeSent');
  return sent.data;
}

function codeView(sent: CodeSent['data']): SentCodeView {
  return {
    codeId: sent.codeId,
    channel: sent.channel,
    destination: sent.destination,
    expiresAt: sent.expiresAt,
  };
}
