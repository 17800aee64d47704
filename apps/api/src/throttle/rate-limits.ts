import {
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Principal } from '@signet/auth';
import type { SignetConfig } from '@signet/config';
import { userIdOfChallenge } from '@signet/domain';
import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { SIGNET_CONFIG } from '../core/core.module';
import { apiMetrics } from '../metrics/api-metrics';
import { ProblemException, problemFrom } from '../problem/problem';

/** The limits, by name: what is counted, per what, and how many per window. */
export type LimitName = 'commandsPerUser' | 'commandsPerAddress' | 'requestsPerAddress';

/** Routes never throttled: probes, metrics, and provider delivery reports (from the provider's addresses). */
const EXEMPT = /^\/(health|metrics)(\/|$)|^\/v1\/webhooks\//;
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What one consumption told us, for the IETF RateLimit headers. */
interface Consumed {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

type ThrottledRequest = Request & { rateLimits?: Consumed[]; principal?: Principal };

/** Counted against a limit that has no points left: answered with 429. */
export class RateLimitExceeded {
  constructor(
    readonly name: LimitName,
    readonly consumed: Consumed,
  ) {}
}

/**
 * Per-person and per-client-address request limits, shared by every API instance through Redis when REDIS_URL is
 * set (in memory otherwise; and in memory while Redis does not answer, so an outage never opens the gates nor
 * closes them). Answers carry the IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers-07).
 */
@Injectable()
export class RateLimits implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly limiters = new Map<LimitName, RateLimiterAbstract>();
  private readonly redis: Redis | null;
  private readonly windowSeconds: number;

  constructor(@Inject(SIGNET_CONFIG) config: SignetConfig) {
    const { rateLimits } = config.http;
    this.windowSeconds = rateLimits.windowSeconds;
    const shared = config.dispatch.privateRedis === null;
    this.redis = shared
      ? new Redis(config.dispatch.redisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          lazyConnect: false,
        })
      : null;
    this.redis?.on('error', () => undefined);
    for (const name of ['commandsPerUser', 'commandsPerAddress', 'requestsPerAddress'] as const) {
      const points = rateLimits[name];
      if (points <= 0) continue;
      const options = { points, duration: rateLimits.windowSeconds, keyPrefix: `signet:rate:${name}` };
      const memory = new RateLimiterMemory(options);
      this.limiters.set(
        name,
        this.redis
          ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: memory })
          : memory,
      );
    }
  }

  /** Whether the limits are kept in Redis now (false: in memory, by design or while Redis is away). */
  get shared(): boolean {
    return this.redis?.status === 'ready';
  }

  /** Counts one request against a limit; throws RateLimitExceeded when it has none left. */
  async consume(name: LimitName, key: string, request: ThrottledRequest): Promise<void> {
    const limiter = this.limiters.get(name);
    if (!limiter) return;
    let result: RateLimiterRes;
    let exceeded = false;
    try {
      result = await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // Neither Redis nor the insurance answered: let the request through rather than fail it.
        this.logger.warn(`rate limit ${name} unavailable: ${(rejection as Error)?.message}`);
        return;
      }
      result = rejection;
      exceeded = true;
    }
    const consumed = {
      limit: limiter.points,
      remaining: Math.max(0, result.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
    };
    (request.rateLimits ??= []).push(consumed);
    if (exceeded) {
      apiMetrics.rateLimitRejections.inc({ limit: name });
      throw new RateLimitExceeded(name, consumed);
    }
  }

  /** The RateLimit-Policy and RateLimit fields for what this request was counted against. */
  headersFor(request: ThrottledRequest, refusal?: RateLimitExceeded): Record<string, string> {
    const consumed = request.rateLimits ?? [];
    if (consumed.length === 0) return {};
    const policies = [...new Set(consumed.map((c) => c.limit))].map((l) => `${l};w=${this.windowSeconds}`);
    // The limit closest to running out is the one worth telling.
    const closest =
      refusal?.consumed ??
      consumed.reduce((a, b) =>
        b.remaining < a.remaining || (b.remaining === a.remaining && b.resetSeconds > a.resetSeconds) ? b : a,
      );
    return {
      'RateLimit-Policy': policies.join(', '),
      RateLimit: `limit=${closest.limit}, remaining=${closest.remaining}, reset=${closest.resetSeconds}`,
    };
  }

  /** Express middleware: per-address limits, before the body is read or the token checked. */
  addressMiddleware() {
    return (request: ThrottledRequest, response: Response, next: NextFunction) => {
      if (EXEMPT.test(request.path)) return next();
      const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
      const command = !READ_METHODS.has(request.method);
      void (async () => {
        try {
          await this.consume('requestsPerAddress', address, request);
          if (command) await this.consume('commandsPerAddress', address, request);
        } catch (error) {
          if (!(error instanceof RateLimitExceeded)) return next(error);
          return this.refuse(request, response, error);
        }
        response.set(this.headersFor(request));
        next();
      })();
    };
  }

  /** The 429 for a refusal, with Retry-After and the RateLimit fields. */
  problemFor(request: ThrottledRequest, error: RateLimitExceeded): ProblemException {
    const retryAfter = String(error.consumed.resetSeconds);
    return new ProblemException(
      429,
      'rate-limited',
      `Too many requests; retry in ${retryAfter} s.`,
      { limit: error.name },
      { ...this.headersFor(request, error), 'Retry-After': retryAfter },
    );
  }

  private refuse(request: ThrottledRequest, response: Response, error: RateLimitExceeded): void {
    // The request's body is never read: close the connection rather than drain it.
    if (request.headers['content-length'] || request.headers['transfer-encoding'])
      response.set('Connection', 'close');
    const { problem: body, headers } = problemFrom(this.problemFor(request, error));
    response.status(429).set(headers).type('application/problem+json').send(JSON.stringify(body));
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis?.disconnect();
  }
}

/**
 * Whose commands these are: the token's subject, except for a sign-in service (role `signInService`), which
 * acts for many people: its commands count against the person challenged (named in the route, or by the
 * challenge id), so one busy identity provider is not throttled as if it were one person.
 */
function personOf(request: Request, principal: Principal): string {
  if (!principal.roles.includes('signInService')) return principal.subject;
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const challenged =
    params.userId ?? (params.challengeId === undefined ? null : userIdOfChallenge(params.challengeId));
  return challenged ? `challenged#${challenged}` : principal.subject;
}

/** Per-person limit on commands, once the token says who the person is (runs after JwtAuthGuard). */
@Injectable()
export class UserRateLimitGuard implements CanActivate {
  constructor(private readonly limits: RateLimits) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ThrottledRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    if (!request.principal || READ_METHODS.has(request.method)) return true;
    try {
      await this.limits.consume('commandsPerUser', personOf(request, request.principal), request);
    } catch (error) {
      if (!(error instanceof RateLimitExceeded)) throw error;
      throw this.limits.problemFor(request, error);
    }
    response.set(this.limits.headersFor(request));
    return true;
  }
}
