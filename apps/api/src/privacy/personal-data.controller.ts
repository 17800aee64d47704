import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { personalDataCopy, recordAccess, type PersonalDataCopy } from '@signet/audit';
import type { Principal } from '@signet/auth';
import type { SignetConfig } from '@signet/config';
import { VerificationCodes, type SecurityInfoPage } from '@signet/domain';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import { erasePersonalData, PersonalData, type ErasureOutcome } from '@signet/personal-data';
import { CurrentPrincipal, RequireRoles, requireUserIdParameter } from '../auth/auth';
import { CLOCK, type Clock } from '../clock';
import { SIGNET_CONFIG } from '../core/core.module';
import { ApiProblems } from '../openapi/api-problems';
import { schemaRef } from '../openapi/schemas';
import { ProblemException } from '../problem/problem';
import { GetSecurityInfoPage } from '../read-model/security-info-page.query';
import { Origin, type RequestOrigin } from '../request-context';

const MAX_REASON = 1000;

/**
 * Personal data (issue 14): a privacy officer erases a person's by crypto-shredding; the person takes their
 * own copy. Both are recorded in the access log.
 */
@ApiTags('Personal data')
@ApiBearerAuth()
@Controller('v1')
export class PersonalDataController {
  private readonly codes: VerificationCodes;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SIGNET_CONFIG) private readonly config: SignetConfig,
    private readonly personalData: PersonalData,
    private readonly queries: QueryBus,
  ) {
    this.codes = new VerificationCodes(config.codeSecret);
  }

  @Delete('users/:userId/personal-data')
  @HttpCode(202)
  @RequireRoles('privacyOfficer')
  @Header('Cache-Control', 'no-store')
  @ApiBody({
    schema: {
      type: 'object',
      properties: { reason: { type: 'string', minLength: 1, maxLength: MAX_REASON } },
      required: ['reason'],
    },
  })
  @ApiAcceptedResponse({
    description: 'The key is destroyed and PersonalDataErased recorded; the page follows (`position`).',
    schema: schemaRef('PersonalDataErasure'),
  })
  @ApiProblems('invalid-path-parameter', 'reason-required')
  async erase(
    @Param('userId') userId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
  ): Promise<ErasureOutcome> {
    requireUserIdParameter(userId);
    const reason = (body as { reason?: unknown } | null)?.reason;
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
      throw new ProblemException(
        400,
        'reason-required',
        `An erasure needs {"reason": "…"}: why it is made (1 to ${MAX_REASON} characters), kept in the access log.`,
      );
    }
    return erasePersonalData(
      this.store,
      this.personalData.keys,
      {
        userId,
        reason: reason.trim(),
        requestedBy: { subject: principal.subject, roles: principal.roles, via: 'api' },
        origin: {
          clientAddress: origin.clientAddress,
          userAgent: origin.userAgent,
          correlationId: origin.correlationId,
          causationId: origin.requestId,
        },
        now: this.clock.now(),
      },
      { policy: this.config.policy, codes: this.codes },
    );
  }

  @Get('me/personal-data')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({
    description: 'Everything Signet holds about the signed-in person, numbers in full, in one JSON document.',
    schema: schemaRef('PersonalDataCopy'),
  })
  async mine(
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
  ): Promise<PersonalDataCopy & { exportedAt: string; page: SecurityInfoPage }> {
    const now = this.clock.now();
    await recordAccess(
      this.store,
      {
        accessor: { subject: principal.subject, roles: principal.roles, via: 'api' },
        action: 'personalDataExport',
        userId: principal.subject,
        query: {},
        phoneNumbers: 'revealed',
        reason: null,
        clientAddress: origin.clientAddress,
        userAgent: origin.userAgent,
        correlationId: origin.correlationId,
      },
      now,
    );
    const { page } = await this.queries.execute(new GetSecurityInfoPage(principal.subject));
    const copy = await personalDataCopy(this.store, principal.subject);
    return { ...copy, exportedAt: now.toISOString(), page };
  }
}
