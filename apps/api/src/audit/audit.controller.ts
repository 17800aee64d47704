import { Controller, Get, Header, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  AuditQueryError,
  decodeCursor,
  NoHistoryError,
  parseEventTypes,
  parseInstant,
  parseLimit,
  parseRevision,
  readAccessLog,
  readUserHistory,
  RevisionNotReachedError,
  AsOfSnapshots,
  securityInfoAsOf,
  type AccessLogPage,
  type AsOfMoment,
  type AuditAction,
  type HistoryPage,
  type PhoneNumberDisclosure,
  type SecurityInfoAsOf,
} from '@signet/audit';
import type { Principal } from '@signet/auth';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import { READ_MODEL_STORE, type ReadModelStore } from '@signet/read-model';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRoles } from '../auth/auth';
import type { SignetConfig } from '@signet/config';
import { CLOCK, type Clock } from '../clock';
import { SIGNET_CONFIG } from '../core/core.module';
import { ApiProblems } from '../openapi/api-problems';
import { schemaRef } from '../openapi/schemas';
import { ProblemException } from '../problem/problem';
import { Origin, type RequestOrigin } from '../request-context';
import { disclosureOf, invalidParameter, recordApiAccess, validated } from './audit-reads';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = '100';
type QueryParameters = Record<string, unknown>;

/**
 * What compliance auditors read: a user's history, their page as of any moment, and who looked. Every read
 * is recorded in the access log before anything is answered.
 */
@ApiTags('Audit')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'The caller is not an auditor.' })
@RequireRoles('auditor')
@Controller('v1/audit')
export class AuditController {
  /**
   * Auditors step through one person's history: later moments continue from the fold already made, and a
   * first look from the nearest snapshot the asOfSnapshots projection keeps (checked against the hash chain).
   */
  private readonly snapshots: AsOfSnapshots;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SIGNET_CONFIG) private readonly config: SignetConfig,
    @Inject(READ_MODEL_STORE) readModel: ReadModelStore,
  ) {
    const stored = config.readModel.asOfSnapshotEvery > 0 ? readModel : undefined;
    this.snapshots = new AsOfSnapshots({ stored });
  }

  @Get('users/:userId/events')
  @Header('Cache-Control', 'no-store')
  @ApiQuery({ name: 'from', required: false, description: 'ISO-8601, inclusive (when events occurred)' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601, exclusive' })
  @ApiQuery({ name: 'types', required: false, description: 'Event types, comma-separated' })
  @ApiQuery({ name: 'limit', required: false, description: `1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'From the previous page (`next`)' })
  @ApiQuery({ name: 'reveal', required: false, description: '`phoneNumbers` shows them in full' })
  @ApiQuery({ name: 'reason', required: false, description: 'Why; required to reveal, kept in the log' })
  @ApiOkResponse({
    description: 'The history in log order, one page, with `next`',
    schema: schemaRef('AuditHistoryPage'),
    headers: { Link: {}, 'Cache-Control': {} },
  })
  @ApiProblems('invalid-query-parameter', 'no-history')
  async history(
    @Param('userId') userId: string,
    @Query() parameters: QueryParameters,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ userId: string; phoneNumbers: PhoneNumberDisclosure } & HistoryPage> {
    const q = queryOf(parameters, ['from', 'to', 'types', 'limit', 'cursor', 'reveal', 'reason']);
    const { disclosure, reason } = disclosureOf(q);
    const query = validated(() => ({
      from: q.from === undefined ? undefined : parseInstant('from', q.from),
      to: q.to === undefined ? undefined : parseInstant('to', q.to),
      types: q.types === undefined ? undefined : parseEventTypes('types', q.types),
      limit: parseLimit('limit', q.limit ?? DEFAULT_LIMIT, MAX_LIMIT),
      afterPosition: q.cursor === undefined ? undefined : cursorOf(q.cursor),
    }));
    await this.record('history', userId, q, disclosure, reason, principal, origin);
    const page = await answer(() => readUserHistory(this.store, userId, query, disclosure));
    const next = page.next && nextLink(`/v1/audit/users/${encodeURIComponent(userId)}/events`, q, page.next);
    if (next) res.setHeader('Link', `<${next}>; rel="next"`);
    return { userId, phoneNumbers: disclosure, items: page.items, next };
  }

  @Get('users/:userId/security-info')
  @Header('Cache-Control', 'no-store')
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO-8601 instant (or give `revision`)' })
  @ApiQuery({ name: 'revision', required: false, description: 'Stream revision (or give `asOf`)' })
  @ApiQuery({ name: 'reveal', required: false, description: '`phoneNumbers` shows them in full' })
  @ApiQuery({ name: 'reason', required: false, description: 'Why; required to reveal, kept in the log' })
  @ApiOkResponse({
    description: 'The Security info page as it stood, and the event that last changed it',
    schema: schemaRef('AuditSecurityInfoAsOf'),
    headers: { 'Cache-Control': {} },
  })
  @ApiProblems('invalid-query-parameter', 'no-history', 'revision-not-found')
  async asOf(
    @Param('userId') userId: string,
    @Query() parameters: QueryParameters,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
  ): Promise<{ userId: string; phoneNumbers: PhoneNumberDisclosure } & SecurityInfoAsOf> {
    const q = queryOf(parameters, ['asOf', 'revision', 'reveal', 'reason']);
    const { disclosure, reason } = disclosureOf(q);
    const moment = validated((): AsOfMoment => {
      if ((q.asOf === undefined) === (q.revision === undefined)) {
        throw new AuditQueryError('asOf', 'Give exactly one of asOf (an ISO-8601 instant) and revision.');
      }
      return q.asOf !== undefined
        ? { asOf: parseInstant('asOf', q.asOf) }
        : { revision: parseRevision('revision', q.revision!) };
    });
    await this.record('asOf', userId, q, disclosure, reason, principal, origin);
    const found = await answer(() =>
      securityInfoAsOf(this.store, userId, moment, disclosure, this.snapshots, this.config.policy),
    );
    return { userId, phoneNumbers: disclosure, ...found };
  }

  @Get('access-log')
  @Header('Cache-Control', 'no-store')
  @ApiQuery({
    name: 'userId',
    required: false,
    description: "Only looks at this user's history (or everyone's)",
  })
  @ApiQuery({ name: 'accessor', required: false, description: 'Only looks by this subject' })
  @ApiQuery({ name: 'limit', required: false, description: `1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'From the previous page (`next`)' })
  @ApiOkResponse({
    description: 'Every audit read and export, oldest first, one page, with `next`',
    schema: schemaRef('AccessLogPage'),
    headers: { Link: {}, 'Cache-Control': {} },
  })
  @ApiProblems('invalid-query-parameter')
  async accessLog(
    @Query() parameters: QueryParameters,
    @CurrentPrincipal() principal: Principal,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AccessLogPage> {
    const q = queryOf(parameters, ['userId', 'accessor', 'limit', 'cursor']);
    const query = validated(() => ({
      userId: q.userId,
      accessor: q.accessor,
      limit: parseLimit('limit', q.limit ?? DEFAULT_LIMIT, MAX_LIMIT),
      afterRevision: q.cursor === undefined ? undefined : cursorOf(q.cursor),
    }));
    // Reading who looked is a look too.
    await this.record('accessLog', q.userId ?? null, q, 'masked', null, principal, origin);
    const page = await readAccessLog(this.store, query);
    const next = page.next && nextLink('/v1/audit/access-log', q, page.next);
    if (next) res.setHeader('Link', `<${next}>; rel="next"`);
    return { items: page.items, next };
  }

  private record(
    action: AuditAction,
    userId: string | null,
    query: Record<string, string>,
    phoneNumbers: PhoneNumberDisclosure,
    reason: string | null,
    principal: Principal,
    origin: RequestOrigin,
  ): Promise<void> {
    return recordApiAccess(
      this.store,
      this.clock.now(),
      { action, userId, query, phoneNumbers, reason },
      principal,
      origin,
    );
  }
}

/** The query as single strings, refusing parameters the route does not know (a typo must not widen a read). */
function queryOf(parameters: QueryParameters, known: string[]): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (!known.includes(name)) {
      throw invalidParameter(
        new AuditQueryError(name, `Unknown parameter ${name}; known: ${known.join(', ')}.`),
      );
    }
    // ?types=A&types=B is the same as ?types=A,B.
    const values = [value].flat();
    if (!values.every((item) => typeof item === 'string')) {
      throw invalidParameter(new AuditQueryError(name, `${name} must be given as text.`));
    }
    query[name] = values.join(',');
  }
  return query;
}

function cursorOf(cursor: string): bigint {
  const after = decodeCursor(cursor);
  if (after === null) throw new AuditQueryError('cursor', 'cursor is not one this API gave.');
  return after;
}

/** The answer, with the audit library's refusals turned into problems. */
async function answer<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof NoHistoryError) throw new ProblemException(404, 'no-history', error.message);
    if (error instanceof RevisionNotReachedError) {
      throw new ProblemException(404, 'revision-not-found', error.message, {
        currentRevision: error.currentRevision.toString(),
      });
    }
    throw error;
  }
}

function nextLink(path: string, query: Record<string, string>, cursor: string): string {
  return `${path}?${new URLSearchParams({ ...query, cursor }).toString()}`;
}
