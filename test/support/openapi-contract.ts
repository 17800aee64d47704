import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every answer the end-to-end suites get from Signet, checked against the OpenAPI document (docs/openapi.json,
 * which a test keeps equal to what the API serves): the status must be documented for the operation, each
 * documented header present must match its schema, and the body must match the response's schema — with
 * `additionalProperties: false` added to every object schema that lists its properties, so a field the
 * document does not name fails too. One compiled document per test process.
 *
 * Not checked, on purpose: `/openapi.json` and `/docs` (the document itself and @nestjs/swagger's viewer), and
 * `/metrics` (Prometheus text for operators, not part of the API: docs/operations.md), and CORS preflights
 * (`OPTIONS`, answered by the CORS middleware for browsers, not operations of the API).
 */
export interface ObservedResponse {
  method: string;
  /** Path and query, or a full URL. */
  url: string;
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text ('' when none). */
  text: string;
}

const DOCUMENT_PATH = join(__dirname, '../../docs/openapi.json');
const BASE = 'https://signet.invalid/openapi.json';
/** What the HTTP edge answers before a request reaches a route (docs/api.md#the-http-edge). */
const EDGE_CODES = new Set([
  'malformed-body',
  'body-too-deep',
  'body-too-large',
  'unsupported-media-type',
  'unsupported-content-encoding',
  'unsupported-charset',
  'rate-limited',
]);
const NOT_CHECKED = [/^\/openapi\.json$/, /^\/docs(?:[/-]|$)/, /^\/metrics$/];
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

type Json = Record<string, unknown>;
interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  operation: Json;
}

export class OpenApiContractError extends Error {
  override readonly name = 'OpenApiContractError';
}

export class OpenApiContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: BASE, ...closedObjects(structuredClone(document)) } as Json);
    const paths = document.paths as Record<string, Json>;
    this.routes = Object.entries(paths).flatMap(([template, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({
        method,
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        operation: item[method] as Json,
      })),
    );
  }

  static fromDocs(): OpenApiContract {
    return new OpenApiContract(JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as Json);
  }

  /** Throws an OpenApiContractError naming every way the response departs from the document. */
  check(observed: ObservedResponse): void {
    const path = new URL(observed.url, 'http://localhost').pathname;
    if (NOT_CHECKED.some((pattern) => pattern.test(path)) || observed.method.toUpperCase() === 'OPTIONS')
      return;
    const method = observed.method.toLowerCase();
    const what = `${observed.method.toUpperCase()} ${path} → ${observed.status}`;
    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) {
      // No such operation: the API's answer is 404 route-not-found, a Problem; or a request the HTTP edge
      // refused before routing (a body too large, of another media type, too many requests).
      const body = this.parse(observed, what);
      const code = (body as Json | undefined)?.code;
      const routed = observed.status === 404 && code === 'route-not-found';
      const refusedAtTheEdge = typeof code === 'string' && EDGE_CODES.has(code);
      if (!routed && !refusedAtTheEdge) {
        throw new OpenApiContractError(`${what}: no operation in the OpenAPI document matches`);
      }
      return this.validate(`${BASE}#/components/schemas/Problem`, body, `${what}: body`);
    }

    const responses = route.operation.responses as Record<string, Json>;
    const key = [String(observed.status), `${String(observed.status)[0]}XX`, 'default'].find(
      (k) => responses[k],
    );
    if (!key) {
      throw new OpenApiContractError(
        `${what}: status not documented for ${route.method.toUpperCase()} ${route.template} (documented: ${Object.keys(responses).join(', ')})\n${observed.text}`,
      );
    }
    const pointer = `${BASE}#/paths/${escape(route.template)}/${route.method}/responses/${key}`;
    const response = responses[key];
    const problems: string[] = [];

    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const value = observed.headers[name.toLowerCase()];
      if (value === undefined) continue;
      const schema = this.resolve(header).schema;
      if (!schema) continue;
      const validate = this.compile(`${pointer}/headers/${escape(name)}`, schema as Json, header);
      if (!validate(Array.isArray(value) ? value.join(', ') : value)) {
        problems.push(`header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
      }
    }

    const content = response.content as Record<string, Json> | undefined;
    if (!content) {
      if (observed.text !== '') problems.push(`a body where the document says none: ${observed.text}`);
    } else {
      const type = String(observed.headers['content-type'] ?? '')
        .split(';')[0]
        .trim();
      const media = content[type];
      if (!media) {
        problems.push(
          `content type "${type}" not documented (documented: ${Object.keys(content).join(', ')})`,
        );
      } else if (media.schema) {
        const body = this.parse(observed, what);
        const validate = this.ajv.getSchema(`${pointer}/content/${escape(type)}/schema`);
        if (!validate) throw new OpenApiContractError(`${what}: cannot compile the response schema`);
        if (!validate(body)) problems.push(`body: ${describe(validate)}\n${observed.text}`);
      }
    }
    if (problems.length) {
      throw new OpenApiContractError(
        `${what} departs from the OpenAPI document (${route.method.toUpperCase()} ${route.template}):\n- ${problems.join('\n- ')}`,
      );
    }
  }

  /** The ways `value` departs from the schema at `pointer` in the document (e.g. `#/components/schemas/X`). */
  errorsAt(pointer: string, value: unknown): string[] {
    const validate = this.ajv.getSchema(`${BASE}${pointer}`);
    if (!validate) throw new OpenApiContractError(`No schema at ${pointer}`);
    return validate(value) ? [] : [describe(validate)];
  }

  private validate(ref: string, body: unknown, what: string): void {
    const validate = this.ajv.getSchema(ref);
    if (!validate) throw new OpenApiContractError(`${what}: no schema ${ref}`);
    if (!validate(body)) throw new OpenApiContractError(`${what}: ${describe(validate)}`);
  }

  /** A header given as a `$ref` to components.headers. */
  private resolve(header: Json): Json {
    const ref = header.$ref;
    if (typeof ref !== 'string') return header;
    return ref
      .slice(2)
      .split('/')
      .reduce<Json>(
        (node, part) => node[part.replace(/~1/g, '/').replace(/~0/g, '~')] as Json,
        this.document,
      );
  }

  private compile(key: string, schema: Json, header: Json): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      // Through the document when the header is inline; its own schema when shared (components.headers).
      validate =
        typeof header.$ref === 'string'
          ? this.ajv.getSchema(`${BASE}${header.$ref}/schema`)!
          : this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  private parse(observed: ObservedResponse, what: string): unknown {
    if (observed.text === '') return undefined;
    try {
      return JSON.parse(observed.text);
    } catch {
      throw new OpenApiContractError(`${what}: the body is not JSON: ${observed.text.slice(0, 200)}`);
    }
  }
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ');
}

/** Subschemas that test or narrow an instance rather than describe all of it. */
const CONDITIONS = new Set(['if', 'then', 'else', 'not']);

/**
 * `additionalProperties: false` on every object schema that lists its properties and says nothing of others,
 * except the parts of an `allOf` (each sees only its own properties: the Problem narrowed by an operation) and
 * conditions (`if: {properties: {code: {const: …}}}`).
 */
function closedObjects(node: Json, partial = false): Json {
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'examples') continue;
    if (Array.isArray(value)) {
      value.forEach(
        (item) => item && typeof item === 'object' && closedObjects(item as Json, key === 'allOf'),
      );
    } else if (value && typeof value === 'object') {
      closedObjects(value as Json, CONDITIONS.has(key));
    }
  }
  if (
    !partial &&
    node.properties &&
    typeof node.properties === 'object' &&
    !('additionalProperties' in node)
  ) {
    node.additionalProperties = false;
  }
  return node;
}

let shared: OpenApiContract | undefined;
/** The contract of docs/openapi.json, compiled once per test process. */
export function openApiContract(): OpenApiContract {
  return (shared ??= OpenApiContract.fromDocs());
}

/**
 * `fetch`, with every answer checked against the document before it is handed back (the body can still be
 * read). For Signet's own URLs only: not for the provider doubles.
 */
export async function checkedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const response = await fetch(request);
  openApiContract().check({
    method: request.method,
    url: request.url,
    status: response.status,
    headers: Object.fromEntries(response.headers),
    text: await response.clone().text(),
  });
  return response;
}
