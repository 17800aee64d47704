import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  projectionNamed,
  RebuildInProgressError,
  type Projection,
  type ProjectionStatus,
} from '@signet/read-model';
import type { Response } from 'express';
import { RequireRoles } from '../auth/auth';
import { ApiProblems } from '../openapi/api-problems';
import { schemaRef } from '../openapi/schemas';
import { ProblemException } from '../problem/problem';
import { ProjectionRebuilds } from './projection-rebuilds';
import { GetProjectionStatuses, GetRebuild, type RebuildView } from './projections.query';
import { RebuildStartedResponse } from './read-model.dto';

/** The operators' view of the read side: status, rebuilds and their progress. */
@ApiTags('Operators: projections')
@ApiBearerAuth()
@RequireRoles('operator')
@Controller('v1/admin/projections')
export class ProjectionsAdminController {
  constructor(
    private readonly queries: QueryBus,
    private readonly rebuilds: ProjectionRebuilds,
  ) {}

  @Get()
  @ApiOkResponse({ schema: schemaRef('ProjectionStatusList') })
  async list(): Promise<{ projections: ProjectionStatus[] }> {
    return { projections: await this.queries.execute(new GetProjectionStatuses()) };
  }

  /** Starts a rebuild in the background: 202, with the URL of its progress (also in Location). */
  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: RebuildStartedResponse,
    headers: { Location: { description: 'progressUrl' } },
  })
  @ApiProblems('projection-not-found', 'rebuild-in-progress')
  async rebuild(
    @Param('name') name: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RebuildStartedResponse> {
    const projection = known(name);
    let generation: number;
    try {
      generation = await this.rebuilds.start(projection);
    } catch (error) {
      if (!(error instanceof RebuildInProgressError)) throw error;
      throw new ProblemException(409, 'rebuild-in-progress', error.message, {
        progressUrl: progressUrl(name, error.generation),
      });
    }
    const url = progressUrl(name, generation);
    res.setHeader('Location', url);
    return { projection: name, generation, state: 'building', progressUrl: url };
  }

  @Get(':name/rebuilds/:generation')
  @ApiOkResponse({ schema: schemaRef('RebuildView') })
  @ApiProblems('projection-not-found', 'rebuild-not-found', 'invalid-path-parameter')
  async progress(
    @Param('name') name: string,
    @Param('generation') generationParam: string,
  ): Promise<RebuildView> {
    known(name);
    const generation = generationOf(generationParam);
    const view = await this.queries.execute(new GetRebuild(name, generation));
    if (!view) throw new ProblemException(404, 'rebuild-not-found', `No rebuild ${generation} of ${name}.`);
    return view;
  }
}

/** A generation is a positive integer a store can hold; anything else (20 digits, "abc") is 400. */
function generationOf(param: string): number {
  if (!/^\d{1,15}$/.test(param)) {
    throw new ProblemException(400, 'invalid-path-parameter', 'The generation must be a whole number.', {
      errors: [{ field: 'generation', message: 'must be a whole number of at most 15 digits' }],
    });
  }
  return Number(param);
}

function known(name: string): Projection {
  const projection = projectionNamed(name);
  if (!projection) throw new ProblemException(404, 'projection-not-found', `No projection named "${name}".`);
  return projection;
}

function progressUrl(name: string, generation: number): string {
  return `/v1/admin/projections/${name}/rebuilds/${generation}`;
}
