import { StaleRevisionError } from '@signet/command-handling';
import { StoreUnavailableError } from '@signet/config';
import { REFUSALS, SecurityInfoRefusal, type RefusalCode } from '@signet/domain';
import { WrongExpectedRevisionError } from '@signet/event-store';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { problemFrom } from './problem';
import { isProblemCode, PROBLEM_CODES } from './problem-codes';

const API_SOURCES = join(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The problem-code table the OpenAPI document is built from must say what the API really answers. */
describe('The problem-code table', () => {
  it("holds every refusal of the domain's table, at the status problemFrom gives it", () => {
    for (const code of Object.keys(REFUSALS) as RefusalCode[]) {
      const { problem, headers } = problemFrom(
        new SecurityInfoRefusal(
          code,
          'refused',
          code === 'resend-cooldown' ? { retryAt: new Date().toISOString() } : {},
        ),
      );
      expect([code, PROBLEM_CODES[code].status]).toEqual([code, problem.status]);
      if (code === 'resend-cooldown') expect(headers['Retry-After']).toBeDefined();
      expect([code, PROBLEM_CODES[code].retryAfter === true]).toEqual([code, REFUSALS[code] === 'tooSoon']);
    }
  });

  it('holds the races: precondition-failed (412) and concurrent-update (409, Retry-After)', () => {
    const stale = problemFrom(new StaleRevisionError(2n));
    expect(PROBLEM_CODES['precondition-failed'].status).toBe(stale.problem.status);
    expect(stale.problem.code).toBe('precondition-failed');
    const lost = problemFrom(new WrongExpectedRevisionError('securityInfo-a', 1n, 2n));
    expect([lost.problem.code, lost.problem.status]).toEqual([
      'concurrent-update',
      PROBLEM_CODES['concurrent-update'].status,
    ]);
    expect(lost.headers['Retry-After']).toBeDefined();
    expect(PROBLEM_CODES['concurrent-update'].retryAfter).toBe(true);
  });

  it('holds store-unavailable: 503, Retry-After, and the store it names', () => {
    const down = problemFrom(new StoreUnavailableError('the event store', 'disk full'));
    expect([down.problem.code, down.problem.status]).toEqual([
      'store-unavailable',
      PROBLEM_CODES['store-unavailable'].status,
    ]);
    expect(down.headers['Retry-After']).toBeDefined();
    expect(PROBLEM_CODES['store-unavailable']).toMatchObject({ retryAfter: true, carries: ['store'] });
    expect(down.problem.store).toBe('the event store');
  });

  it('holds every code the HTTP shell raises, at the status it raises it with', () => {
    // `new ProblemException(404, 'no-history', ...)` and tables like `[401, 'invalid-signature']`.
    const raised = sources(API_SOURCES).flatMap((file) =>
      [
        ...readFileSync(file, 'utf8').matchAll(/(?:ProblemException\(\s*|\[)(\d{3}),\s*'([a-z][a-z0-9-]*)'/g),
      ].map(([, status, code]) => ({
        file: file.slice(API_SOURCES.length + 1),
        code,
        status: Number(status),
      })),
    );
    expect(raised.length).toBeGreaterThan(15);
    for (const { file, code, status } of raised) {
      expect([file, code, isProblemCode(code) ? PROBLEM_CODES[code].status : 'missing']).toEqual([
        file,
        code,
        status,
      ]);
    }
  });

  it("holds the framework's own refusals problemFrom names: bad-request, route-not-found, internal-error", () => {
    expect(PROBLEM_CODES['bad-request'].status).toBe(400);
    expect(PROBLEM_CODES['route-not-found'].status).toBe(404);
    expect(problemFrom(new Error('boom')).problem).toMatchObject({ status: 500, code: 'internal-error' });
    expect(PROBLEM_CODES['internal-error'].status).toBe(500);
  });
});
