import { openApiContract } from './openapi-contract';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyHttpSignature } from '@signet/messaging';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the stand-in answers next; the last one repeats. `hold` keeps the request open until released. */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  hold?: boolean;
  /** Answer with the request body, as some providers do in their error messages. */
  echo?: boolean;
}

/** A local HTTP server standing in for a provider: records every request and answers as scripted. */
abstract class ProviderDouble {
  readonly requests: ReceivedRequest[] = [];
  private answers: ScriptedAnswer[] = [{ status: 200 }];
  private held: (() => void)[] = [];
  private server!: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async listen(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  answer(...answers: ScriptedAnswer[]): void {
    this.answers = answers;
  }

  /** Lets every held request get its answer. */
  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Checks the caller's credentials; returns an error answer when they are wrong. */
  protected abstract refuse(request: ReceivedRequest): ScriptedAnswer | null;
  protected abstract success(request: ReceivedRequest): unknown;

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of incoming) body += String(chunk);
    const request: ReceivedRequest = {
      method: incoming.method ?? '',
      path: incoming.url ?? '',
      headers: incoming.headers,
      body,
    };
    this.requests.push(request);
    const scripted = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    const answer = this.refuse(request) ?? scripted;
    if (answer.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    const payload = answer.body ?? (answer.status < 300 ? this.success(request) : { error: 'scripted' });
    response.writeHead(answer.status, { 'Content-Type': 'application/json' });
    response.end(answer.echo ? request.body : JSON.stringify(payload));
  }
}

/**
 * The generic http provider's receiving end: refuses (401) a request whose signature does not match, and
 * honours the Idempotency-Key as a real provider would: a message is delivered once per key.
 */
export class HttpProviderDouble extends ProviderDouble {
  private sent = 0;
  private readonly delivered = new Map<string, string>();

  constructor(private readonly secret: string) {
    super();
  }

  protected refuse(request: ReceivedRequest): ScriptedAnswer | null {
    const signature = request.headers['x-signet-signature'];
    if (
      !verifyHttpSignature(this.secret, typeof signature === 'string' ? signature : undefined, request.body)
    )
      return { status: 401, body: { error: 'bad signature' } };
    // Every message Signet sends must be the webhook its OpenAPI document describes.
    const departures = openApiContract().errorsAt(
      '#/components/schemas/CodeMessage',
      JSON.parse(request.body),
    );
    return departures.length
      ? { status: 400, body: { error: 'not the documented CodeMessage', departures } }
      : null;
  }

  protected success(request: ReceivedRequest): unknown {
    const key = String(request.headers['idempotency-key']);
    if (!this.delivered.has(key)) this.delivered.set(key, `msg-${++this.sent}`);
    return { messageId: this.delivered.get(key) };
  }

  messages(): { to: string; channel: string; body: string; codeId: string; reference: string }[] {
    return this.requests.map((r) => JSON.parse(r.body));
  }
}

/** Twilio's REST API, as far as Signet uses it: Basic auth with the account SID and auth token. */
export class TwilioDouble extends ProviderDouble {
  private sent = 0;

  constructor(
    readonly accountSid: string,
    private readonly authToken: string,
  ) {
    super();
  }

  protected refuse(request: ReceivedRequest): ScriptedAnswer | null {
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (request.headers.authorization !== expected)
      return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
    if (!/^\/2010-04-01\/Accounts\/[^/]+\/(Messages|Calls)\.json$/.test(request.path))
      return { status: 404, body: { code: 20404, message: 'Not found', status: 404 } };
    return null;
  }

  protected success(request: ReceivedRequest): unknown {
    const prefix = request.path.endsWith('/Calls.json') ? 'CA' : 'SM';
    return { sid: `${prefix}${String(++this.sent).padStart(32, '0')}`, status: 'queued' };
  }

  form(index: number): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(this.requests[index].body));
  }
}
