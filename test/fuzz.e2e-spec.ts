import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { SignetTestApp } from './support/signet-app';

/**
 * Property-based fuzzing driven by the served OpenAPI document: every route and method, with random and
 * malformed bodies, odd headers, Content-Types and encodings, random path and query parameters, with and without
 * a valid token. Whatever comes in, the answer is never a 5xx, and every 4xx is application/problem+json.
 * Bounded: a fixed number of runs (FUZZ_RUNS, default 300) and a time limit; FUZZ_SEED replays a reported run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const TIME_LIMIT_MS = 30_000;

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
}

const printable = (max: number) => fc.stringMatching(new RegExp(`^[ -~]{0,${max}}$`));
const header = printable(60);

/**
 * A path parameter: plausible, hostile or absurd. Never `.` or `..`, escaped or not: those are dot segments,
 * which every URL parser removes (RFC 3986 §5.2.4, and WHATWG's `%2e` too), so the request would not reach
 * the route being fuzzed at all.
 */
const pathParameter = fc
  .oneof(
    fc.constantFrom(
      'securityInfoPage',
      'user-1',
      'twilio',
      'http',
      '1',
      '0',
      '12345678901234567890',
      '-1',
      'null',
    ),
    fc.uuid(),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    printable(300),
  )
  .filter((parameter) => parameter !== '.' && parameter !== '..');

/** A request body: JSON of any shape, JSON near the real fields, malformed JSON, raw bytes, or nothing. */
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        phoneNumber: fc.oneof(fc.constantFrom('+1 425 555 0100', '(425) 555-0100', ''), fc.string()),
        phoneType: fc.oneof(fc.constantFrom('mobile', 'alternateMobile', 'office'), fc.string()),
        deliveryMethod: fc.oneof(fc.constantFrom('sms', 'voice'), fc.jsonValue()),
        countryCode: fc.oneof(fc.constantFrom('US', 'GB', 'zz'), fc.string()),
        extension: fc.oneof(fc.constantFrom('123', '1'.repeat(30)), fc.jsonValue()),
        methodId: fc.oneof(fc.uuid(), fc.string()),
        code: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)), // cut short
  fc.nat({ max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.string({ maxLength: 200 }),
);
const body = fc.oneof(
  { weight: 5, arbitrary: jsonBody.map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant(null) },
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/problem+json',
    '',
  ),
  header,
);
const encoding = fc.constantFrom('none', 'identity', 'gzip', 'gzip-broken', 'deflate', 'br', 'x-unknown');

const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom('minPosition', 'asOf', 'revision', 'types', 'limit', 'cursor', 'from', 'to'),
    printable(10),
  ),
  printable(40),
  { maxKeys: 3 },
);

describe('Fuzzing every route of the OpenAPI document', () => {
  let signet: SignetTestApp;
  let operations: Operation[];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    const document = (await signet.http().get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({ method: method as Operation['method'], path })),
    );
    tokens.user = await signet.token('fuzz-user');
    tokens.admin = await signet.token('fuzz-admin', [
      'user',
      'auditor',
      'operator',
      'admin',
      'signInService',
    ]);
    // Something to find: a pending phone on the fuzzed user's account.
    await signet
      .http()
      .post('/v1/me/security-info/phone-methods')
      .set('Authorization', `Bearer ${tokens.user}`)
      .send({ phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' })
      .expect(201);
  });
  afterAll(() => signet.stop());

  it('lists the routes it fuzzes', () => {
    expect(operations.length).toBeGreaterThanOrEqual(10);
    expect(operations).toContainEqual({ method: 'post', path: '/v1/me/security-info/phone-methods' });
  });

  it('never answers 5xx, and answers every 4xx with problem+json', async () => {
    const request = fc.record({
      operation: fc.nat().map((i) => operations[i % operations.length]),
      parameters: fc.array(pathParameter, { minLength: 4, maxLength: 4 }),
      query,
      body,
      contentType,
      encoding,
      auth: fc.constantFrom('none', 'user', 'admin', 'garbage', 'basic'),
      ifMatch: fc.option(header, { nil: undefined }),
      idempotencyKey: fc.option(header, { nil: undefined }),
      correlationId: fc.option(header, { nil: undefined }),
    });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let n = 0;
        const path = r.operation.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(r.parameters[n++ % 4]));
        const search = new URLSearchParams(r.query).toString();
        let test = signet.http()[r.operation.method](`${path}${search ? `?${search}` : ''}`);
        const headers: Record<string, string> = {};
        if (r.auth === 'user' || r.auth === 'admin') headers.Authorization = `Bearer ${tokens[r.auth]}`;
        if (r.auth === 'garbage') headers.Authorization = 'Bearer not.a.token';
        if (r.auth === 'basic') headers.Authorization = 'Basic dXNlcjpwYXNz';
        if (r.ifMatch !== undefined) headers['If-Match'] = r.ifMatch;
        if (r.idempotencyKey !== undefined) headers['Idempotency-Key'] = r.idempotencyKey;
        if (r.correlationId !== undefined) headers['X-Correlation-Id'] = r.correlationId;
        test = test.set(headers);
        if (r.body !== null) {
          let bytes = r.body;
          if (r.encoding === 'gzip') bytes = gzipSync(bytes);
          if (r.encoding !== 'none')
            test = test.set('Content-Encoding', r.encoding === 'gzip-broken' ? 'gzip' : r.encoding);
          if (r.contentType) test = test.set('Content-Type', r.contentType);
          test = test.serialize((b: unknown) => b as string).send(bytes);
        }
        const res = await test.buffer(true).parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => done(null, Buffer.concat(chunks).toString()));
        });
        const seen = `${r.operation.method.toUpperCase()} ${path} → ${res.status} ${String(res.body).slice(0, 200)}`;
        if (res.status >= 500) throw new Error(`5xx: ${seen}`);
        if (res.status >= 400 && !/^application\/problem\+json/.test(res.headers['content-type'] ?? ''))
          throw new Error(`4xx without problem+json: ${seen} (${res.headers['content-type']})`);
      }),
      {
        numRuns: RUNS,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: false,
        // FUZZ_SEED replays the run a failure reports.
        ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
      },
    );
  });
});
