import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '@signet/auth';
import { securityInfoRecord, type SecurityInfoEvent, type SecurityInfoRecord } from '@signet/domain';
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';

/** Where a command came from: recorded in every event's metadata for auditors. */
export interface RequestOrigin {
  /** Ties together everything one user action caused, across services. */
  correlationId: string;
  /** This request: the direct cause of the events it records. */
  requestId: string;
  clientAddress: string | null;
  userAgent: string | null;
}

const HEADER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function originOf(request: Request): RequestOrigin {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' && HEADER_ID.test(value) ? value : null;
  };
  const userAgent = request.headers['user-agent'];
  return {
    correlationId: header('x-correlation-id') ?? randomUUID(),
    requestId: header('x-request-id') ?? randomUUID(),
    clientAddress: request.ip ?? request.socket.remoteAddress ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
  };
}

export const Origin = createParamDecorator((_: unknown, context: ExecutionContext): RequestOrigin => {
  const request = context.switchToHttp().getRequest<Request & { origin?: RequestOrigin }>();
  request.origin ??= originOf(request);
  return request.origin;
});

/** The events a request's command decided, in the one envelope: who asked, from where, as part of what. */
export function recordsOfRequest<Event extends { type: string; data: object } = SecurityInfoEvent>(
  events: readonly Event[],
  at: { now: Date; commandType: string; principal: Principal; origin: RequestOrigin; reason?: string },
): SecurityInfoRecord<Event['type']>[] {
  const { now, commandType, principal, origin, reason } = at;
  return events.map((event) =>
    securityInfoRecord(event, randomUUID(), now, {
      actor: { subject: principal.subject, roles: principal.roles },
      commandType,
      correlationId: origin.correlationId,
      causationId: origin.requestId,
      clientAddress: origin.clientAddress,
      userAgent: origin.userAgent,
      ...(principal.authentication
        ? {
            authentication: {
              auth_time: principal.authentication.authTime,
              acr: principal.authentication.acr,
              amr: principal.authentication.amr,
            },
          }
        : {}),
      reason,
    }),
  );
}
