import SwaggerParser from '@apidevtools/swagger-parser';
import { REFUSALS } from '@signet/domain';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_TYPES, OPENAPI_JSON } from '../apps/api/src/openapi/openapi-files';
import { PROBLEM_CODES, type ProblemCode } from '../apps/api/src/problem/problem-codes';
import { openApiContract } from './support/openapi-contract';
import { ROOT } from './support/processes';
import { SignetTestApp } from './support/signet-app';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** The OpenAPI document as a contract front ends can generate from (issue 18). */
describe('The OpenAPI document', () => {
  let signet: SignetTestApp;
  let served: Json;

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    served = (await signet.http().get('/openapi.json').expect(200)).body as Json;
  });
  afterAll(() => signet.stop());

  const operations = () =>
    Object.entries(served.paths as Record<string, Json>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ path, method, operation: item[method] as Json })),
    );

  it('passes a standard validator (swagger-parser), as OpenAPI 3.1', async () => {
    expect(served.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(served) as never)).resolves.toBeDefined();
  });

  it('describes the webhook Signet sends (the http provider), which the provider double holds every message to', () => {
    const post = ((served.webhooks as Json).codeMessage as Json).post as Json;
    const headers = (post.parameters as Json[]).map((p) => p.name);
    expect(headers).toEqual(['X-Signet-Signature', 'Idempotency-Key']);
    const contract = openApiContract();
    const message = {
      to: '+14255550100',
      channel: 'sms',
      body: 'Your Signet code is 123456',
      codeId: 'c',
      reference: 'r',
    };
    expect(contract.errorsAt('#/components/schemas/CodeMessage', message)).toEqual([]);
    expect(contract.errorsAt('#/components/schemas/CodeMessage', { ...message, extension: '123' })).toEqual(
      [],
    );
    expect(
      contract.errorsAt('#/components/schemas/CodeMessage', { ...message, to: '4255550100' }),
    ).not.toEqual([]);
    expect(contract.errorsAt('#/components/schemas/CodeMessage', { ...message, code: '123456' })).not.toEqual(
      [],
    );
  });

  it('is refused by that validator when broken: a missing schema, a dangling header, a bare response', async () => {
    const noProblem = structuredClone(served);
    delete noProblem.components.schemas.Problem;
    await expect(SwaggerParser.validate(noProblem as never)).rejects.toThrow(/Problem/);

    const danglingHeader = structuredClone(served);
    danglingHeader.paths['/v1/me/security-info'].get.responses['200'].headers['X-Read-Model-Stale'] = {
      $ref: '#/components/headers/Nowhere',
    };
    await expect(SwaggerParser.validate(danglingHeader as never)).rejects.toThrow(/Nowhere/);

    const bareResponse = structuredClone(served);
    delete bareResponse.paths['/v1/me/security-info'].get.responses['200'].description;
    await expect(SwaggerParser.validate(bareResponse as never)).rejects.toThrow(/description/);
  });

  it('is committed as docs/openapi.json, with the client types generated from it (npm run openapi)', () => {
    const committed = (root: string, file: string) => readFileSync(join(root, file), 'utf8');
    expect(JSON.parse(committed(ROOT, OPENAPI_JSON))).toEqual(served);
    // What `npm run openapi` writes now, byte for byte: a stale format or stale client types fail too.
    const out = mkdtempSync(join(tmpdir(), 'signet-openapi-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'dist/apps/api/src/openapi/write-openapi.js'), out], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      for (const file of [OPENAPI_JSON, CLIENT_TYPES]) {
        expect([file, committed(ROOT, file) === committed(out, file)]).toEqual([file, true]);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('has the bearer JWT scheme, and per operation its security and the roles it needs', () => {
    expect(served.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const roles = Object.fromEntries(
      operations().map(({ path, method, operation }) => [`${method} ${path}`, operation['x-roles']]),
    );
    expect(roles).toMatchObject({
      'post /v1/me/security-info/phone-methods': [],
      'get /v1/users/{userId}/security-info': ['admin', 'auditor', 'authenticationAdministrator'],
      'post /v1/users/{userId}/security-info/phone-methods': ['authenticationAdministrator'],
      'delete /v1/users/{userId}/security-info/methods/{methodId}': ['authenticationAdministrator'],
      'put /v1/users/{userId}/security-info/default-method': ['authenticationAdministrator'],
      'get /v1/admin/authentication-methods-policy': ['authenticationPolicyAdministrator'],
      'put /v1/admin/authentication-methods-policy': ['authenticationPolicyAdministrator'],
      'get /v1/audit/access-log': ['auditor'],
      'post /v1/admin/projections/{name}/rebuild': ['operator'],
      'get /health/ready': undefined,
      'post /v1/webhooks/sms/{provider}': undefined,
    });
    for (const { path, method, operation } of operations()) {
      const isPublic =
        path.startsWith('/health') || path.startsWith('/v1/webhooks') || path === '/v1/dev/sign-in';
      expect([`${method} ${path}`, operation.security]).toEqual([
        `${method} ${path}`,
        isPublic ? [] : [{ bearer: [] }],
      ]);
      if (!isPublic) expect(operation.description).toMatch(/\*\*Roles:\*\*/);
    }
  });

  it('answers every 4xx/5xx as application/problem+json, its code an enum of codes of that status', () => {
    for (const { path, method, operation } of operations()) {
      const where = `${method} ${path}`;
      const failures = Object.entries(operation.responses as Record<string, Json>).filter(
        ([status]) => Number(status) >= 400 && !(path === '/health/ready' && status === '503'),
      );
      expect([where, failures.map(([s]) => s)]).toEqual([where, expect.arrayContaining(['500'])]);
      for (const [status, response] of failures) {
        const [shared, narrowed] = response.content['application/problem+json'].schema.allOf;
        expect(shared).toEqual({ $ref: '#/components/schemas/Problem' });
        expect(narrowed.properties.status).toEqual({ const: Number(status) });
        const codes = narrowed.properties.code.enum as ProblemCode[];
        expect(codes.length).toBeGreaterThan(0);
        for (const code of codes)
          expect([where, code, PROBLEM_CODES[code]?.status]).toEqual([where, code, Number(status)]);
        if (codes.some((code) => PROBLEM_CODES[code].retryAfter)) {
          expect(response.headers['Retry-After']).toEqual({ $ref: '#/components/headers/Retry-After' });
        }
      }
      if (operation.security?.length)
        expect([where, operation.responses['401']]).toEqual([where, expect.anything()]);
    }
  });

  it("gives a client every refusal of the domain's table on some operation, with its status", () => {
    const given = new Map<string, number>();
    for (const { operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        const schema = response.content?.['application/problem+json']?.schema;
        for (const code of schema?.allOf[1].properties.code.enum ?? []) given.set(code, Number(status));
      }
    }
    for (const code of Object.keys(REFUSALS)) {
      expect([code, given.get(code)]).toEqual([code, PROBLEM_CODES[code as ProblemCode].status]);
    }
  });

  it("documents the commands' headers: If-Match, Idempotency-Key, X-Correlation-Id in; ETag, Idempotent-Replayed out", () => {
    const add = served.paths['/v1/me/security-info/phone-methods'].post;
    expect(add.parameters).toEqual(
      expect.arrayContaining([
        { $ref: '#/components/parameters/If-Match' },
        { $ref: '#/components/parameters/Idempotency-Key' },
        { $ref: '#/components/parameters/X-Correlation-Id' },
      ]),
    );
    expect(Object.keys(add.responses['201'].headers)).toEqual(
      expect.arrayContaining(['ETag', 'Idempotent-Replayed', 'X-Correlation-Id']),
    );
    expect(Object.keys(add.responses['429'].headers)).toEqual(expect.arrayContaining(['Retry-After']));
    const verify = served.paths['/v1/me/security-info/phone-methods/{methodId}/verify'].post;
    expect(verify.responses['400'].headers.ETag).toEqual({ $ref: '#/components/headers/ETag' });
    expect(
      verify.responses['412'].content['application/problem+json'].schema.allOf[1].properties.code.enum,
    ).toEqual(['precondition-failed']);
    const page = served.paths['/v1/me/security-info'].get.responses['200'].headers;
    expect(Object.keys(page)).toEqual(
      expect.arrayContaining(['ETag', 'X-Read-Model-Position', 'X-Read-Model-Stale']),
    );
    for (const header of Object.values(served.components.headers as Record<string, Json>)) {
      expect(header.schema).toBeDefined();
    }
  });

  it("has examples for each command's body and answer, and every example matches its schema", () => {
    const contract = openApiContract();
    const commands = operations().filter(({ path }) => path.startsWith('/v1/me/security-info/'));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    let checked = 0;
    for (const { path, operation } of commands) {
      const success = Object.keys(operation.responses).find((s) => s.startsWith('2'))!;
      expect([path, operation.responses[success].content['application/json'].examples]).toEqual([
        path,
        expect.any(Object),
      ]);
      if (operation.requestBody) {
        expect([path, operation.requestBody.content['application/json'].examples]).toEqual([
          path,
          expect.any(Object),
        ]);
      }
    }
    for (const { path, method, operation } of operations()) {
      const escaped = path.replace(/~/g, '~0').replace(/\//g, '~1');
      const media: [string, Json][] = [
        ...Object.entries((operation.requestBody?.content ?? {}) as Record<string, Json>).map(
          ([type, m]) =>
            [`#/paths/${escaped}/${method}/requestBody/content/${type.replace(/\//g, '~1')}/schema`, m] as [
              string,
              Json,
            ],
        ),
        ...Object.entries(operation.responses as Record<string, Json>).flatMap(([status, response]) =>
          Object.entries((response.content ?? {}) as Record<string, Json>).map(
            ([type, m]) =>
              [
                `#/paths/${escaped}/${method}/responses/${status}/content/${type.replace(/\//g, '~1')}/schema`,
                m,
              ] as [string, Json],
          ),
        ),
      ];
      for (const [pointer, m] of media) {
        for (const [name, example] of Object.entries((m.examples ?? {}) as Record<string, Json>)) {
          expect([pointer, name, contract.errorsAt(pointer, example.value)]).toEqual([pointer, name, []]);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('is what the e2e check holds answers to: an undocumented status, field, header value or route fails', () => {
    const contract = openApiContract();
    const page = {
      userId: 'alice',
      methods: [],
      defaultMethod: null,
      allowedMethodTypes: [{ phoneType: 'mobile', deliveryMethods: ['sms'] }],
      personalDataErased: null,
      revision: null,
      updatedAt: null,
    };
    const answer = (status: number, body: object, headers: Record<string, string> = {}) => ({
      method: 'GET',
      url: '/v1/me/security-info?minPosition=3',
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      text: JSON.stringify(body),
    });
    expect(() => contract.check(answer(200, page, { 'x-read-model-position': '3' }))).not.toThrow();
    expect(() => contract.check(answer(418, page))).toThrow(/status not documented/);
    expect(() => contract.check(answer(200, { ...page, lastCode: null }))).toThrow(/additional propert/);
    expect(() => contract.check(answer(200, { ...page, revision: 3 }))).toThrow(/revision/);
    expect(() => contract.check(answer(200, page, { 'x-read-model-stale': 'yes' }))).toThrow(
      /X-Read-Model-Stale/,
    );
    expect(() =>
      contract.check({ ...answer(404, { code: 'route-not-found' }), url: '/v1/nowhere', method: 'GET' }),
    ).toThrow(/body/);
    expect(() =>
      contract.check({
        method: 'POST',
        url: '/v1/me/security-info/phone-methods/m1/verify',
        status: 400,
        headers: { 'content-type': 'application/problem+json' },
        text: JSON.stringify({
          type: 'urn:signet:problem:phone-type-taken',
          title: 'Bad request',
          status: 400,
          detail: '',
          code: 'phone-type-taken',
        }),
      }),
    ).toThrow(/code/);
    const wrongCode = (extensions: object) => ({
      method: 'POST',
      url: '/v1/me/security-info/phone-methods/m1/verify',
      status: 400,
      headers: { 'content-type': 'application/problem+json', etag: '"4"' },
      text: JSON.stringify({
        type: 'urn:signet:problem:code-incorrect',
        title: 'Bad request',
        status: 400,
        detail: 'That code is not right; 4 attempts left.',
        code: 'code-incorrect',
        ...extensions,
      }),
    });
    expect(() => contract.check(wrongCode({ attemptsRemaining: 4 }))).not.toThrow();
    // What a code always carries is required for it.
    expect(() => contract.check(wrongCode({}))).toThrow(/attemptsRemaining/);
  });
});
