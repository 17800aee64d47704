import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@signet/auth';
import type { SecurityInfoPage } from '@signet/domain';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRoles } from '../auth/auth';
import { ApiProblems } from '../openapi/api-problems';
import { ProblemException } from '../problem/problem';
import { SecurityInfoPageResponse } from './read-model.dto';
import { GetSecurityInfoPage } from './security-info-page.query';

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
  constructor(private readonly queries: QueryBus) {}

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
    return this.page(principal.subject, minPosition, res);
  }

  /** Anyone's Security info page, for admins, auditors and the help desk. */
  @Get('v1/users/:userId/security-info')
  @RequireRoles('admin', 'auditor', 'authenticationAdministrator')
  @ApiQuery(MIN_POSITION_DOC)
  @ApiOkResponse(PAGE_RESPONSE)
  @ApiProblems('invalid-min-position')
  of(
    @Param('userId') userId: string,
    @Query('minPosition') minPosition: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SecurityInfoPage> {
    return this.page(userId, minPosition, res);
  }

  private async page(
    userId: string,
    minPosition: string | undefined,
    res: Response,
  ): Promise<SecurityInfoPage> {
    const result = await this.queries.execute(new GetSecurityInfoPage(userId, parseMinPosition(minPosition)));
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
