import { REFUSALS, type RefusalCode } from '@signet/domain';
import { STATUS_OF_KIND } from './problem';

/** The members a problem adds to RFC 9457's (see the Problem schema). */
export type ProblemExtension =
  'errors' | 'attemptsRemaining' | 'retryAt' | 'currentRevision' | 'progressUrl' | 'store' | 'limit';

/** What a client can rely on for one problem `code`. */
export interface ProblemCodeInfo {
  status: number;
  /** The answer carries `Retry-After` (and, for domain limits, `retryAt`). */
  retryAfter?: boolean;
  /** Members every answer with this code carries (the document makes them required for it). */
  carries?: readonly ProblemExtension[];
}

/**
 * The codes the HTTP shell raises itself (tokens, headers, query parameters, idempotency, races, the
 * framework), each with its one status. A new `ProblemException(status, code, ...)` belongs here: a unit test
 * reads the sources and fails on a code missing from this table or raised with another status.
 */
const SHELL_PROBLEMS = {
  'validation-failed': { status: 400, carries: ['errors'] },
  'bad-request': { status: 400 },
  'malformed-body': { status: 400 },
  'body-too-deep': { status: 400 },
  'invalid-path-parameter': { status: 400, carries: ['errors'] },
  'body-too-large': { status: 413 },
  'unsupported-media-type': { status: 415 },
  'unsupported-content-encoding': { status: 415 },
  'unsupported-charset': { status: 415 },
  'rate-limited': { status: 429, retryAfter: true, carries: ['limit'] },
  'invalid-if-match': { status: 400 },
  'invalid-idempotency-key': { status: 400 },
  'invalid-min-position': { status: 400, carries: ['errors'] },
  'invalid-query-parameter': { status: 400, carries: ['errors'] },
  'invalid-delivery-report': { status: 400 },
  'reason-required': { status: 400 },
  unauthorized: { status: 401 },
  'invalid-signature': { status: 401 },
  forbidden: { status: 403 },
  'route-not-found': { status: 404 },
  'projection-not-found': { status: 404 },
  'rebuild-not-found': { status: 404 },
  'no-history': { status: 404 },
  'revision-not-found': { status: 404, carries: ['currentRevision'] },
  'provider-not-found': { status: 404 },
  'code-not-found': { status: 404 },
  'concurrent-update': { status: 409, retryAfter: true },
  'idempotency-key-in-flight': { status: 409, retryAfter: true },
  'rebuild-in-progress': { status: 409, carries: ['progressUrl'] },
  'precondition-failed': { status: 412, carries: ['currentRevision'] },
  'idempotency-key-reused': { status: 422 },
  'internal-error': { status: 500 },
  'store-unavailable': { status: 503, retryAfter: true, carries: ['store'] },
} as const satisfies Record<string, ProblemCodeInfo>;

export type ShellProblemCode = keyof typeof SHELL_PROBLEMS;
/** Every `code` a problem answer can carry: the domain's refusals and the shell's own. */
export type ProblemCode = RefusalCode | ShellProblemCode;

/**
 * What some domain refusals always carry (SecurityInfoRefusal's details, as problemFrom maps them): a `tooSoon`
 * refusal always carries `retryAt`; these others as listed. A refusal not named here carries nothing it must.
 */
const DOMAIN_PROBLEM_MEMBERS: Partial<Record<RefusalCode, readonly ProblemExtension[]>> = {
  'invalid-phone-number': ['errors'],
  'delivery-method-not-allowed': ['errors'],
  'extension-not-allowed': ['errors'],
  'number-not-allowed': ['errors'],
  'number-cannot-receive-sms': ['errors'],
  'number-unchanged': ['errors'],
  'code-incorrect': ['attemptsRemaining'],
};

/** The domain's refusal table, in HTTP terms: a refusal added to `REFUSALS` appears here with its status. */
function domainProblems(): Record<RefusalCode, ProblemCodeInfo> {
  return Object.fromEntries(
    (Object.keys(REFUSALS) as RefusalCode[]).map((code) => {
      const kind = REFUSALS[code];
      const tooSoon = kind === 'tooSoon';
      const carries = [...(DOMAIN_PROBLEM_MEMBERS[code] ?? []), ...(tooSoon ? (['retryAt'] as const) : [])];
      const info: ProblemCodeInfo = {
        status: STATUS_OF_KIND[kind],
        ...(tooSoon ? { retryAfter: true } : {}),
        ...(carries.length ? { carries } : {}),
      };
      return [code, info];
    }),
  ) as Record<RefusalCode, ProblemCodeInfo>;
}

export const PROBLEM_CODES: Readonly<Record<ProblemCode, ProblemCodeInfo>> = {
  ...domainProblems(),
  ...SHELL_PROBLEMS,
};

export function isProblemCode(code: string): code is ProblemCode {
  return Object.prototype.hasOwnProperty.call(PROBLEM_CODES, code);
}
