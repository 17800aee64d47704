import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { issueToken, type Role } from '@signet/auth';
import { readUserStreams } from '@signet/audit';
import { loadConfig, type SignetConfig } from '@signet/config';
import { VerificationCodes } from '@signet/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@signet/event-store';
import { LiveProjectionRunners, READ_MODEL_STORE, type ReadModelStore } from '@signet/read-model';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp } from '../../apps/api/src/bootstrap';
import { CLOCK, type Clock } from '../../apps/api/src/clock';
import { openApiContract } from './openapi-contract';

/**
 * The suites send far more from one address (and as one person) than any limit allows a real client: rate
 * limits are off unless a test turns them on (test/rate-limits.e2e-spec.ts does).
 */
export const NO_RATE_LIMITS = {
  RATE_LIMIT_COMMANDS_PER_USER: '0',
  RATE_LIMIT_COMMANDS_PER_ADDRESS: '0',
  RATE_LIMIT_REQUESTS_PER_ADDRESS: '0',
};

/** A clock the test moves by hand, to reach expiry and cooldowns without waiting. */
export class ManualClock implements Clock {
  private current = new Date('2026-11-26T10:00:00.000Z');
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** The API on a private DATA_DIR with a manual clock, driven over HTTP. */
export class SignetTestApp {
  private constructor(
    readonly app: INestApplication,
    readonly config: SignetConfig,
    readonly clock: ManualClock,
    private readonly dataDir: string,
    private readonly workerProjections: LiveProjectionRunners | null,
  ) {}

  /**
   * The API in this process. With `workerProjections`, also the projections the worker keeps live (the as-of
   * snapshots), on the API's own stores, as the worker process runs them (`LiveProjectionRunners`).
   */
  static async start(
    env: Record<string, string> = {},
    options: { workerProjections?: boolean } = {},
  ): Promise<SignetTestApp> {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-e2e-'));
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'error', ...NO_RATE_LIMITS, ...env });
    const clock = new ManualClock();
    const module = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
      .overrideProvider(CLOCK)
      .useValue(clock)
      .compile();
    const app = module.createNestApplication({ logger: ['error'], rawBody: true });
    configureApp(app);
    await app.init();
    let workerProjections: LiveProjectionRunners | null = null;
    if (options.workerProjections) {
      workerProjections = new LiveProjectionRunners({
        host: 'worker',
        readModel: config.readModel,
        eventStore: app.get<EventStore>(EVENT_STORE),
        store: app.get<ReadModelStore>(READ_MODEL_STORE),
      });
      workerProjections.start();
    }
    return new SignetTestApp(app, config, clock, dataDir, workerProjections);
  }

  /** Supertest on the app; every answer is also checked against the OpenAPI document (openapi-contract.ts). */
  http() {
    return checkedAgainstDocument(request(this.app.getHttpServer()));
  }

  /** A token for `subject`; its person signed in just now unless `signIn` says otherwise (RFC 9470 step-up). */
  token(
    subject: string,
    roles: Role[] = ['user'],
    signIn: { authTime?: number; acr?: string; amr?: string[] } = {},
  ): Promise<string> {
    return issueToken(this.config.jwt, { subject, roles, ...signIn });
  }

  /** The code the person would read on their phone. */
  codeFor(codeId: string): string {
    return new VerificationCodes(this.config.codeSecret).codeFor(codeId);
  }

  get eventStore(): EventStore {
    return this.app.get<EventStore>(EVENT_STORE);
  }

  /** The user's whole history: both of their streams (Security info and code delivery) in log order. */
  async historyOf(userId: string): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of readUserStreams(this.eventStore, userId)) events.push(event);
    return events;
  }

  /** The user's Security info stream: only what changed the page. */
  async streamOf(userId: string): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of this.eventStore.readStream(`securityInfo-${userId}`)) events.push(event);
    return events;
  }

  async allEvents(): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of this.eventStore.readAll()) events.push(event);
    return events;
  }

  async stop(): Promise<void> {
    await this.workerProjections?.stop();
    await this.app.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A signed-in person on the Security info page. */
export class Person {
  constructor(
    private readonly signet: SignetTestApp,
    readonly userId: string,
    private readonly token: string,
  ) {}

  static async signIn(signet: SignetTestApp, userId: string): Promise<Person> {
    return new Person(signet, userId, await signet.token(userId));
  }

  post(path: string, body: object = {}, headers: Record<string, string> = {}) {
    return this.signet
      .http()
      .post(path)
      .set({ Authorization: `Bearer ${this.token}`, ...headers })
      .send(body);
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.signet
      .http()
      .get(path)
      .set({ Authorization: `Bearer ${this.token}`, ...headers });
  }

  put(path: string, body: object, headers: Record<string, string> = {}) {
    return this.signet
      .http()
      .put(path)
      .set({ Authorization: `Bearer ${this.token}`, ...headers })
      .send(body);
  }

  delete(path: string, headers: Record<string, string> = {}) {
    return this.signet
      .http()
      .delete(path)
      .set({ Authorization: `Bearer ${this.token}`, ...headers });
  }

  addPhone(body: object, headers: Record<string, string> = {}) {
    return this.post('/v1/me/security-info/phone-methods', body, headers);
  }

  resend(methodId: string, body: object = {}, headers: Record<string, string> = {}) {
    return this.post(`/v1/me/security-info/phone-methods/${methodId}/resend`, body, headers);
  }

  verify(methodId: string, code: string, headers: Record<string, string> = {}) {
    return this.post(`/v1/me/security-info/phone-methods/${methodId}/verify`, { code }, headers);
  }

  deleteMethod(methodId: string, headers: Record<string, string> = {}) {
    return this.delete(`/v1/me/security-info/methods/${methodId}`, headers);
  }

  changeDefault(body: object, headers: Record<string, string> = {}) {
    return this.put('/v1/me/security-info/default-method', body, headers);
  }

  /** Adds a phone and proves it with the code it was sent: the seed's steps 3 to 5. */
  async addVerifiedPhone(body: object): Promise<string> {
    const added = await this.addPhone(body).expect(201);
    await this.verify(added.body.methodId, this.signet.codeFor(added.body.code.codeId)).expect(200);
    return added.body.methodId as string;
  }
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/** Each request made through `agent` gets one more assertion, first: its answer matches the document. */
function checkedAgainstDocument<Agent extends object>(agent: Agent): Agent {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !HTTP_METHODS.has(property) || typeof value !== 'function')
        return value;
      return (...args: unknown[]) => {
        const test = (value as (...a: unknown[]) => request.Test).apply(target, args);
        return test.expect((res: request.Response) => {
          const req = (res as unknown as { req: { method: string; path: string } }).req;
          openApiContract().check({
            method: req.method,
            url: req.path,
            status: res.status,
            headers: res.headers as Record<string, string>,
            // A test that parses the bytes itself (custom .parse()) leaves no text: its parsed body stands in.
            text: res.text ?? bodyText(res.body),
          });
        });
      };
    },
  });
}

/** The bytes of a body a test parsed itself: the text it kept, or its parsed JSON. */
function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** A wrong code that is surely not the right one. */
export function wrongCode(right: string): string {
  return right === '000000' ? '111111' : '000000';
}
