import { ApiExtension } from '@nestjs/swagger';
import type { ProblemCode } from '../problem/problem-codes';

/** Where the decorators below leave their declarations for the document builder (removed from the output). */
export const PROBLEMS_EXTENSION = 'x-signet-problems';

/**
 * The problem codes an operation can answer beyond those every operation of its sort gives, which the
 * document builder adds itself (see completeDocument): `unauthorized` unless public, `forbidden` with roles,
 * the If-Match and Idempotency-Key codes when it takes those headers, `validation-failed` and `bad-request`
 * with a request body, `internal-error` always. Each code's status comes from the problem-code table, so a
 * route declares codes, never statuses.
 */
export function ApiProblems(...codes: ProblemCode[]): MethodDecorator & ClassDecorator {
  return ApiExtension(PROBLEMS_EXTENSION, codes);
}
