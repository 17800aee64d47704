import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@signet/auth';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import type { SecurityInfoPage } from '@signet/domain';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRoles, requireUserIdParameter } from '../auth/auth';
import { ApiProblems } from '../openapi/api-problems';
import { ProblemException } from '../problem/problem';
import { SecurityInfoPageResponse } from './read-model.dto';
import { GetSecurityInfoPage } from './security-info-page.query';
import { disclosureOf, recordApiAccess } from '../audit/audit-reads';
import { CLOCK, type Clock } from '../clock';
import { Origin, type RequestOrigin } from '../request-context';

const MIN_POSITION_DOC = {
  name: 'minPosition',
  required: false,
  schema: { type: 'string', pattern: '^\\d{1,19}$' },
  description:
    'Read-your-writes: the `position` a command answered with. The query waits (up to READ_MODEL_MAX_WAIT_MS) ' +
    'until the read model has passed it; if it has not, the current page comes with X-Read-Model-Stale: true.',
};
/** Response headers of the page. */
const PAGE_RESPONSE = {
  type: SecurityInfoPageResponse,
  headers: {
    'X-Read-Model-Position': {
      description: "The read model's checkpoint (global position) the page was read at.",
    },
    'X-Read-Model-Stale': {
      description: '`true` when minPosition was asked for and the read model had not passed it in time.',
    },
    ETag: { description: 'The stream revision the page reflects, usable as If-Match on commands.' },
    'Cache-Control': { description: 'no-store: the page changes with every command.' },
  },
};

@ApiTags('Security info page')
@ApiBearerAuth()
@Controller()
export class SecurityInfoPageController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The signed-in user's Security info page. */
  @Get('v1/me/security-info')
  @ApiQuery(MIN_POSITION_DOC)
  @ApiOkResponse(PAGE_RESPONSE)
  @ApiProblems('invalid-min-position')
  mine(
    @CurrentPrincipal() principal: Principal,
    @Query('minPosition') minPosition: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SecurityInfoPage> {
    return this.page(principal.subject, parseMinPosition(minPosition), false, res);
  }

  /**
   * Anyone's Security info page, for admins, auditors and the help desk: numbers masked unless revealed with
   * a reason, and every read of another person's page written to the access log before it is answered.
   */
  @Get('v1/users/:userId/security-info')
  @RequireRoles('admin', 'auditor', 'authenticationAdministrator')
  @ApiQuery(MIN_POSITION_DOC)
  @ApiQuery({
    name: 'reveal',
    required: false,
    description: '`phoneNumbers` shows them in full (needs `reason`)',
  })
  @ApiQuery({
    name: 'reason',
    required: false,
    description: 'Why; required to reveal, kept in the access log',
  })
  @ApiOkResponse(PAGE_RESPONSE)
  @ApiProblems('invalid-min-position', 'invalid-query-parameter', 'invalid-path-parameter')
  async of(
    @Param('userId') userId: string,
    @Query('minPosition') minPosition: string | undefined,
    @Query('reveal') reveal: string | undefined,
    @Query('reason') reason: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SecurityInfoPage> {
    requireUserIdParameter(userId);
    const position = parseMinPosition(minPosition);
    // One's own page is one's own: full numbers, nothing to log.
    if (userId === principal.subject) return this.page(userId, position, false, res);
    const disclosure = disclosureOf({ reveal, reason });
    const query = Object.fromEntries(
      Object.entries({ minPosition, reveal }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    await recordApiAccess(
      this.store,
      this.clock.now(),
      {
        action: 'securityInfoPage',
        userId,
        query,
        phoneNumbers: disclosure.disclosure,
        reason: disclosure.reason,
      },
      principal,
      origin,
    );
    return this.page(userId, position, disclosure.disclosure === 'masked', res);
  }

  private async page(
    userId: string,
    minPosition: bigint | undefined,
    maskNumbers: boolean,
    res: Response,
  ): Promise<SecurityInfoPage> {
    const result = await this.queries.execute(new GetSecurityInfoPage(userId, minPosition, maskNumbers));
    res.setHeader('X-Read-Model-Position', result.checkpoint.toString());
    if (result.stale) res.setHeader('X-Read-Model-Stale', 'true');
    if (result.page.revision !== null) res.setHeader('ETag', `"${result.page.revision}"`);
    // The page changes with every command: never let a cache answer for the read model.
    res.setHeader('Cache-Control', 'no-store');
    return result.page;
  }
}

function parseMinPosition(value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,19}$/.test(value)) {
    throw new ProblemException(
      400,
      'invalid-min-position',
      'minPosition must be a position as a command returned it, e.g. "42".',
      {
        errors: [{ field: 'minPosition', message: 'must be a non-negative integer' }],
      },
    );
  }
  return BigInt(value);
}
