import {
  applyDecorators,
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import { InvalidTokenError, isValidSubject, TokenVerifier, type Principal, type Role } from '@signet/auth';
import type { Request } from 'express';
import { ProblemException } from '../problem/problem';

const PUBLIC = 'signet:public';
const ROLES_REQUIRED = 'signet:roles';

/** The OpenAPI extensions the document builder reads: a public route, and the roles a route needs. */
export const PUBLIC_EXTENSION = 'x-signet-public';
export const ROLES_EXTENSION = 'x-roles';

/** Routes anyone may call (health checks, the OpenAPI document). */
export const Public = () => applyDecorators(SetMetadata(PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));
/** Routes only some roles may call; any one of them suffices. */
export const RequireRoles = (...roles: Role[]) =>
  applyDecorators(SetMetadata(ROLES_REQUIRED, roles), ApiExtension(ROLES_EXTENSION, roles));

type AuthenticatedRequest = Request & { principal?: Principal };

/** Bearer JWT on every route unless marked @Public. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new ProblemException(
        401,
        'unauthorized',
        'A Bearer token is required.',
        {},
        {
          'WWW-Authenticate': 'Bearer realm="signet"',
        },
      );
    }
    try {
      request.principal = await this.verifier.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      throw new ProblemException(
        401,
        'unauthorized',
        `The Bearer token is not valid: ${error.message}.`,
        {},
        {
          'WWW-Authenticate': 'Bearer realm="signet", error="invalid_token"',
        },
      );
    }
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_REQUIRED, targets);
    if (required && !required.some((role) => request.principal!.roles.includes(role))) {
      throw new ProblemException(403, 'forbidden', `This needs one of the roles: ${required.join(', ')}.`);
    }
    return true;
  }
}

/** The authenticated caller of the current request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});

/** A route naming a user (`/v1/users/{userId}/…`) holds the id to a token subject's shape: 400 otherwise. */
export function requireUserIdParameter(userId: string): string {
  if (!isValidSubject(userId)) {
    throw new ProblemException(400, 'invalid-path-parameter', 'userId is not a user id.', {
      errors: [{ field: 'userId', message: 'must be 1 to 128 letters, digits or @._:|+-' }],
    });
  }
  return userId;
}
