import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { PUBLIC_EXTENSION, ROLES_EXTENSION } from '../auth/auth';
import { PROBLEM_CODES, type ProblemCode } from '../problem/problem-codes';
import { PROBLEMS_EXTENSION } from './api-problems';
import { EXAMPLES } from './examples';
import { EXTRA_SCHEMAS, HEADERS, PARAMETERS, schemaRef } from './schemas';
import type { SchemaObject as NestSchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
type JsonObject = Record<string, unknown>;

/** The OpenAPI 3.1 document of the API: what `/openapi.json` serves and `npm run openapi` writes. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Signet')
      .setDescription(
        'Security info: phone sign-in methods, verification codes and the default sign-in method. ' +
          'Every error is application/problem+json with a stable `code`; each operation lists the codes it ' +
          'can give. Routes, roles, revisions and refusals: docs/api.md.',
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A JWT: `sub` is the user id, `roles` any of user, auditor, operator, admin.',
      })
      .build(),
  );
  return completeDocument(document);
}

/**
 * Turns what @nestjs/swagger made of the decorators into the contract: OpenAPI 3.1 schemas (nullable as
 * `null` types), the shared Problem schema and, per operation, every status it can answer with the problem
 * codes it declared (`@ApiProblems`) or that its sort implies, security and `x-roles`, request and response
 * headers with schemas, and the examples.
 */
export function completeDocument(generated: OpenAPIObject): OpenAPIObject {
  const document = structuredClone(generated) as OpenAPIObject & JsonObject;
  document.openapi = '3.1.0';
  document.info.license = { name: 'MIT', identifier: 'MIT' } as OpenAPIObject['info']['license'];
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, ...(EXTRA_SCHEMAS as typeof components.schemas) };
  components.headers = { ...(HEADERS as typeof components.headers) };
  components.parameters = { ...(PARAMETERS as typeof components.parameters) };
  document.security = [{ bearer: [] }];

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) completeOperation(`${method} ${path}`, operation as OperationObject & JsonObject);
    }
  }
  (document as JsonObject).webhooks = WEBHOOKS;
  // Everything generated from DTOs speaks OpenAPI 3.0's `nullable`: say it in JSON Schema instead.
  return toJsonSchemaNulls(document) as OpenAPIObject;
}

/**
 * What Signet sends rather than answers: with `SMS_PROVIDER=http`, one signed POST per code to SMS_HTTP_URL
 * (its delivery reports come back to POST /v1/webhooks/sms/http, documented among the paths); with
 * NOTICE_WEBHOOK_URL, one signed POST per security notice.
 */
const WEBHOOKS: JsonObject = {
  codeMessage: {
    post: {
      summary: 'A code to text or call, sent to SMS_HTTP_URL',
      description:
        'The generic http provider. `X-Signet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` ' +
        'with SMS_HTTP_SECRET; `Idempotency-Key` is the code id.',
      parameters: [
        {
          name: 'X-Signet-Signature',
          in: 'header',
          required: true,
          schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}$' },
        },
        { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } },
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/CodeMessage' } } },
      },
      responses: {
        '2XX': {
          description: 'Taken; the provider may name its message id.',
          content: {
            'application/json': { schema: { type: 'object', properties: { messageId: { type: 'string' } } } },
          },
        },
        '4XX': { description: 'Refused for good: recorded as CodeDeliveryFailed {permanent: true}.' },
        '5XX': { description: 'Failed for now: retried with backoff, up to DISPATCH_MAX_ATTEMPTS.' },
      },
    },
  },
  securityInfoChanged: {
    post: {
      summary: "A security notice of a change to a person's methods, sent to NOTICE_WEBHOOK_URL",
      description:
        'For hosts that mail their users. `X-Signet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of ' +
        '"<t>.<body>">` with NOTICE_WEBHOOK_SECRET; `Idempotency-Key` is the notice id. Never a code, never a full number.',
      parameters: [
        {
          name: 'X-Signet-Signature',
          in: 'header',
          required: true,
          schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}$' },
        },
        { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } },
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/SecurityInfoChanged' } } },
      },
      responses: {
        '2XX': { description: 'Taken: recorded in SecurityNoticeSent {webhook: true}.' },
        '4XX': { description: 'Refused for good: recorded as SecurityNoticeFailed {permanent: true}.' },
        '5XX': { description: 'Failed for now: retried with backoff, up to DISPATCH_MAX_ATTEMPTS.' },
      },
    },
  },
};

function completeOperation(key: string, operation: OperationObject & JsonObject): void {
  const isPublic = operation[PUBLIC_EXTENSION] === true;
  const roles = (operation[ROLES_EXTENSION] as string[] | undefined) ?? [];
  const declared = (operation[PROBLEMS_EXTENSION] as ProblemCode[] | undefined) ?? [];
  delete operation[PUBLIC_EXTENSION];
  delete operation[PROBLEMS_EXTENSION];

  if (isPublic) {
    operation.security = [];
    delete operation[ROLES_EXTENSION];
  } else {
    operation.security = [{ bearer: [] }];
    operation[ROLES_EXTENSION] = roles;
    const who = roles.length ? `one of the roles ${roles.join(', ')}` : 'any signed-in user (no role needed)';
    operation.description = [operation.description, `**Roles:** ${who}.`].filter(Boolean).join('\n\n');
  }

  // Request headers: the ones every route reads, and If-Match / Idempotency-Key from the shared definitions.
  const parameters = (operation.parameters ?? []).map((parameter) => {
    const p = parameter as ParameterObject;
    if (p.in === 'header' && PARAMETERS[p.name]) return { $ref: `#/components/parameters/${p.name}` };
    if (p.schema && Object.keys(p.schema).length === 0) return { ...p, schema: { type: 'string' } };
    return parameter;
  });
  const takes = (name: string) =>
    parameters.some((p) => (p as ReferenceObject).$ref === `#/components/parameters/${name}`);
  const conditional = takes('If-Match');
  const idempotent = takes('Idempotency-Key');
  operation.parameters = [
    ...parameters,
    { $ref: '#/components/parameters/X-Correlation-Id' },
    { $ref: '#/components/parameters/X-Request-Id' },
  ];

  const codes = new Set<ProblemCode>(declared);
  if (!isPublic) codes.add('unauthorized');
  if (roles.length) codes.add('forbidden');
  if (operation.requestBody && !isPublic) {
    codes.add('validation-failed');
    codes.add('bad-request');
  }
  if (conditional) ['invalid-if-match', 'precondition-failed', 'concurrent-update'].forEach(addTo(codes));
  if (idempotent)
    ['invalid-idempotency-key', 'idempotency-key-in-flight', 'idempotency-key-reused'].forEach(addTo(codes));
  codes.add('internal-error');
  // Any route but the probes may meet a store that cannot take a write (the audit reads record themselves).
  if (!key.includes(' /health/')) codes.add('store-unavailable');
  // Any request may carry a body the HTTP edge cannot read, whatever the route (MAX_BODY_BYTES, gzip, charset).
  ['malformed-body', 'body-too-deep', 'body-too-large'].forEach(addTo(codes));
  ['unsupported-media-type', 'unsupported-content-encoding', 'unsupported-charset'].forEach(addTo(codes));
  // Rate limits count every request but the probes and the providers' delivery reports.
  const throttled = !key.includes(' /health/') && !key.includes(' /v1/webhooks/');
  if (throttled) codes.add('rate-limited');

  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const { status } = PROBLEM_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses = operation.responses as Record<string, ResponseObject>;
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = problemResponse(status, statusCodes.sort(), responses[String(status)]);
  }

  const examples = EXAMPLES[key];
  for (const [status, response] of Object.entries(responses)) {
    const headers: Record<string, unknown> = { ...response.headers };
    // Headers given by name without a schema take the shared definition.
    for (const name of Object.keys(headers)) if (HEADERS[name]) headers[name] = headerRef(name);
    headers['X-Correlation-Id'] = headerRef('X-Correlation-Id');
    headers['X-Request-Id'] = headerRef('X-Request-Id');
    // Refused before the command ran (no token, no role) or failed: no revision, nothing replayed.
    const answered = Number(status) < 500 && status !== '401' && status !== '403';
    if (conditional && answered) headers.ETag = headerRef('ETag');
    if (idempotent && answered) headers['Idempotent-Replayed'] = headerRef('Idempotent-Replayed');
    if (status === '401') headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
    const statusCodes = byStatus.get(Number(status)) ?? [];
    if (statusCodes.some((code) => PROBLEM_CODES[code].retryAfter))
      headers['Retry-After'] = headerRef('Retry-After');
    if (throttled) {
      headers['RateLimit-Policy'] = headerRef('RateLimit-Policy');
      headers.RateLimit = headerRef('RateLimit');
    }
    response.headers = headers as ResponseObject['headers'];
    if (!response.description) response.description = defaultDescription(status);
    const responseExamples = examples?.responses?.[status];
    if (responseExamples) {
      const media = Object.values(response.content ?? {})[0];
      if (media) media.examples = { ...media.examples, ...responseExamples };
    }
  }
  if (examples?.request && operation.requestBody && !('$ref' in operation.requestBody)) {
    const media = operation.requestBody.content['application/json'];
    if (media) media.examples = examples.request;
  }
}

function addTo(codes: Set<ProblemCode>) {
  return (code: string) => codes.add(code as ProblemCode);
}

function headerRef(name: string): ReferenceObject {
  return { $ref: `#/components/headers/${name}` };
}

function problemResponse(status: number, codes: ProblemCode[], existing?: ResponseObject): ResponseObject {
  const media = existing?.content?.['application/problem+json'];
  return {
    description: `${existing?.description ? `${existing.description} ` : ''}\`code\`: ${codes.join(', ')}.`,
    headers: existing?.headers,
    content: {
      'application/problem+json': {
        schema: {
          // JSON Schema 2020-12 (`const`): beyond @nestjs/swagger's OpenAPI 3.0 types.
          allOf: [
            schemaRef('Problem'),
            {
              type: 'object',
              properties: { status: { const: status }, code: { type: 'string', enum: codes } },
            },
            // What an answer with a given code always carries (attemptsRemaining, retryAt, currentRevision...).
            ...codes.flatMap((code) => {
              const carries = PROBLEM_CODES[code].carries;
              return carries?.length
                ? [{ if: { properties: { code: { const: code } } }, then: { required: [...carries] } }]
                : [];
            }),
          ],
        } as NestSchemaObject,
        ...(media?.examples ? { examples: media.examples } : {}),
      },
    },
  };
}

function defaultDescription(status: string): string {
  return (
    { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content', '503': 'Service unavailable' }[
      status
    ] ?? status
  );
}

/** `nullable: true` (OpenAPI 3.0) → a `null` type (3.1, JSON Schema 2020-12), everywhere in the document. */
function toJsonSchemaNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchemaNulls);
  if (!node || typeof node !== 'object') return node;
  const schema = Object.fromEntries(
    Object.entries(node as JsonObject).map(([key, value]) => [
      key,
      key === 'example' || key === 'examples' ? value : toJsonSchemaNulls(value),
    ]),
  );
  if (schema.nullable === undefined) return schema;
  const { nullable, ...rest } = schema;
  if (nullable !== true) return rest;
  const allOf = rest.allOf as unknown[] | undefined;
  if (allOf?.length === 1) {
    // `{nullable, type: object, allOf: [{$ref}]}`: the reference or null.
    const { allOf: _allOf, type: _type, ...annotations } = rest;
    return { ...annotations, oneOf: [allOf[0], { type: 'null' }] };
  }
  if (typeof rest.type === 'string') {
    const enumerated = rest.enum as unknown[] | undefined;
    return { ...rest, type: [rest.type, 'null'], ...(enumerated ? { enum: [...enumerated, null] } : {}) };
  }
  return { oneOf: [rest, { type: 'null' }] };
}
