import { Dispatcher, DispatchQueue, DispatchRuntime, readOutbox, type OutboxLine } from '@signet/messaging';
import type { SignetConfig } from '@signet/config';
import type { RecordedEvent } from '@signet/event-store';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';
import { eventually } from '@signet/testing';
import { codeDeliveryStream } from '@signet/domain';
import Database from 'better-sqlite3';

/**
 * Code dispatch through the public interfaces with a real (private) Redis: the API records CodeSent, the
 * dispatcher queues it, the worker sends it to the outbox provider and records the outcome.
 */
describe('Code dispatch (outbox provider, real Redis)', () => {
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime | null = null;
  let people = 0;
  let numbers = 0;
  const newPerson = () => Person.signIn(signet, `dispatch-user-${++people}`);
  // A fresh destination for each test, so the per-destination limits of one test do not touch another.
  const mobile = () => ({
    phoneNumber: `+1 425 555 ${String(100 + ++numbers).padStart(4, '0')}`,
    phoneType: 'mobile',
    deliveryMethod: 'sms',
  });

  const startDispatch = async (change: (c: SignetConfig['dispatch']) => void = () => undefined) => {
    const config = structuredClone(signet.config);
    change(config.dispatch);
    runtime = await DispatchRuntime.start({
      config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    return runtime;
  };
  const stopDispatch = async () => {
    await runtime?.close();
    runtime = null;
  };
  const outbox = (): OutboxLine[] =>
    readOutbox((signet.config.dispatch.provider as { filename: string }).filename);
  const outboxFor = (codeId: string) => outbox().filter((line) => line.codeId === codeId);
  const outcomes = async (userId: string, codeId: string): Promise<RecordedEvent[]> =>
    (await signet.historyOf(userId)).filter((e) =>
      e.type.startsWith('CodeDeliver') || e.type.startsWith('CodeUndeliver')
        ? (e.data as { codeId: string }).codeId === codeId
        : false,
    );
  const outcomeOf = async (userId: string, codeId: string) =>
    eventually(
      async () => {
        const found = await outcomes(userId, codeId);
        return found.length > 0 && found;
      },
      { timeoutMs: 10_000, description: `the outcome of ${codeId}` },
    );

  beforeAll(async () => {
    redis = await RedisServer.start();
    signet = await SignetTestApp.start({ REDIS_URL: redis.url, OTP_DOMAIN: 'signet.test' });
  });
  afterEach(stopDispatch);
  afterAll(async () => {
    await signet?.stop();
    await redis?.destroy();
  });

  it('runs the seed flow: add a phone, read the code from the outbox, verify, the phone is the default', async () => {
    await startDispatch();
    const person = await newPerson();
    const added = await person.addPhone(mobile()).expect(201);
    const { codeId } = added.body.code as { codeId: string };

    const [line] = await eventually(() => outboxFor(codeId).length > 0 && outboxFor(codeId), {
      timeoutMs: 10_000,
      description: 'the code in the outbox',
    });
    const code = signet.codeFor(codeId);
    expect(line).toEqual({
      to: added.body.e164,
      channel: 'sms',
      body: `Your Signet verification code is ${code}. It expires in 10 minutes.\n\n@signet.test #${code}`,
      codeId,
      sentAt: signet.clock.now().toISOString(),
    });

    const [accepted] = await outcomeOf(person.userId, codeId);
    expect(accepted).toMatchObject({
      type: 'CodeDeliveryAccepted',
      data: { methodId: added.body.methodId, codeId, provider: 'outbox', attempts: 1 },
      metadata: { actor: { subject: 'system:dispatcher', roles: [] }, causationId: expect.any(String) },
    });
    const codeSent = (await signet.historyOf(person.userId)).find((e) => e.type === 'CodeSent')!;
    expect(accepted.metadata).toMatchObject({
      causationId: codeSent.id,
      correlationId: codeSent.metadata.correlationId,
    });

    const readCode = /#(\d{6})$/.exec(line.body)![1];
    const verified = await person.verify(added.body.methodId, readCode).expect(200);
    expect(verified.body.defaultMethod).toMatchObject({
      methodId: added.body.methodId,
      deliveryMethod: 'sms',
    });
    // The outbox is the one place a code is written: never the event store.
    const events = (await signet.allEvents()).map((e) => ({ data: e.data, metadata: e.metadata }));
    expect(JSON.stringify(events)).not.toContain(code);
  });

  it('sends a code once even when its CodeSent is delivered to the dispatcher again', async () => {
    await startDispatch();
    const person = await newPerson();
    const { codeId } = (await person.addPhone(mobile()).expect(201)).body.code;
    await outcomeOf(person.userId, codeId);
    await stopDispatch();

    // Forget the checkpoint: the dispatcher reads the whole log again and offers every live code again.
    const client = redis.client();
    await client.del('signet:dispatcher:checkpoint');
    client.disconnect();
    const again = await startDispatch();
    // Another code after the replayed one: once it is out, the replayed one has had its chance.
    const other = await newPerson();
    const next = (await other.addPhone(mobile()).expect(201)).body.code.codeId as string;
    await outcomeOf(other.userId, next);
    await eventually(
      async () => {
        const counts = await again.queue.queue.getJobCounts('waiting', 'active', 'delayed');
        return Object.values(counts).every((n) => n === 0);
      },
      { timeoutMs: 10_000, description: 'the queue to drain' },
    );

    expect(outboxFor(codeId)).toHaveLength(1);
    expect(await outcomes(person.userId, codeId)).toHaveLength(1);
  });

  it('still sends a code recorded while the dispatcher was down (a crash between append and enqueue)', async () => {
    const person = await newPerson();
    const { codeId } = (await person.addPhone(mobile()).expect(201)).body.code;
    expect(outboxFor(codeId)).toHaveLength(0);

    await startDispatch();
    const [outcome] = await outcomeOf(person.userId, codeId);
    expect(outcome.type).toBe('CodeDeliveryAccepted');
    expect(outboxFor(codeId)).toHaveLength(1);
  });

  it('does not send a code that a newer one superseded, nor one that expired, and records why', async () => {
    const person = await newPerson();
    const added = await person.addPhone(mobile()).expect(201);
    const first = added.body.code.codeId as string;
    signet.clock.advance(61);
    const second = (await person.resend(added.body.methodId).expect(202)).body.code.codeId as string;

    const expiring = await newPerson();
    const expired = (await expiring.addPhone(mobile()).expect(201)).body.code.codeId as string;
    signet.clock.advance(601);

    await startDispatch();
    expect((await outcomeOf(person.userId, first))[0]).toMatchObject({
      type: 'CodeDeliverySkipped',
      data: { codeId: first, reason: 'superseded' },
    });
    expect((await outcomeOf(expiring.userId, expired))[0]).toMatchObject({
      type: 'CodeDeliverySkipped',
      data: { codeId: expired, reason: 'expired' },
    });
    expect(outboxFor(first)).toHaveLength(0);
    expect(outboxFor(expired)).toHaveLength(0);
    // The newer code was still live when its turn came (sent 601 s ago with a 600 s life: it expired too).
    expect((await outcomeOf(person.userId, second))[0].data).toMatchObject({ reason: 'expired' });
  });

  describe('outcome events of concurrent jobs (committed together)', () => {
    it('fails only the job whose outcome append failed; it is retried, the phone gets one message', async () => {
      // A backlog sent at once: the jobs run side by side and their outcome events reach the store together.
      const people = await Promise.all([1, 2, 3, 4, 5, 6].map(() => newPerson()));
      const codes = await Promise.all(
        people.map(async (p) => (await p.addPhone(mobile()).expect(201)).body.code.codeId as string),
      );
      const failing = people[2];
      // The store refuses that person's outcome (as a full disk would), inside whatever commit carries it.
      const db = new Database(signet.config.eventStore.filename);
      const trigger = 'refuse_one_outcome';
      db.exec(`CREATE TRIGGER ${trigger} BEFORE INSERT ON events
               WHEN NEW.stream_id = '${codeDeliveryStream(failing.userId)}'
               BEGIN SELECT RAISE(ABORT, 'no space left'); END`);
      try {
        const running = await startDispatch((d) => {
          d.concurrency = 6;
          d.backoffMs = 100;
        });
        await eventually(async () => ((await running.queue.queue.getJob(codes[2]))?.attemptsMade ?? 0) >= 1, {
          timeoutMs: 10_000,
          description: 'the failed attempt',
        });
      } finally {
        db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
        db.close();
      }

      for (const [i, person] of people.entries()) {
        const [outcome, ...more] = await outcomeOf(person.userId, codes[i]);
        expect(more).toHaveLength(0);
        // The others were recorded at their first attempt; the refused one on its retry, sent once all the same.
        expect(outcome).toMatchObject({
          type: 'CodeDeliveryAccepted',
          data: { codeId: codes[i], attempts: person === failing ? 2 : 1 },
        });
        expect(outboxFor(codes[i])).toHaveLength(1);
      }
    });
  });

  describe('limits against SMS pumping (in Redis, shared by every worker)', () => {
    const outcomeType = async (person: Person, codeId: string) => {
      const [outcome] = await outcomeOf(person.userId, codeId);
      return { type: outcome.type, reason: (outcome.data as { reason?: string }).reason };
    };
    const addPhone = async (body: object) => {
      const person = await newPerson();
      return { person, codeId: (await person.addPhone(body).expect(201)).body.code.codeId as string };
    };

    it('blocks a destination past its hourly limit, and records it', async () => {
      await startDispatch((d) => (d.limits.perDestinationPerHour = 1));
      const number = mobile();
      const first = await addPhone(number);
      expect(await outcomeType(first.person, first.codeId)).toEqual({ type: 'CodeDeliveryAccepted' });
      const second = await addPhone(number);
      expect(await outcomeType(second.person, second.codeId)).toEqual({
        type: 'CodeDeliveryBlocked',
        reason: 'destinationHourlyLimit',
      });
      expect(outboxFor(second.codeId)).toHaveLength(0);
    });

    it('blocks a destination past its daily limit', async () => {
      await startDispatch((d) => {
        d.limits.perDestinationPerHour = 1;
        d.limits.perDestinationPerDay = 2;
      });
      const number = mobile();
      for (let sent = 0; sent < 2; sent++) {
        const ok = await addPhone(number);
        expect(await outcomeType(ok.person, ok.codeId)).toEqual({ type: 'CodeDeliveryAccepted' });
        signet.clock.advance(3601);
      }
      const third = await addPhone(number);
      expect(await outcomeType(third.person, third.codeId)).toEqual({
        type: 'CodeDeliveryBlocked',
        reason: 'destinationDailyLimit',
      });
    });

    it('sends only to allowed countries, never to denied ones', async () => {
      await startDispatch((d) => (d.limits.allowedCallingCodes = ['1', '44']));
      const uk = { phoneNumber: '+44 7400 123456', phoneType: 'mobile', deliveryMethod: 'sms' };
      const allowed = await addPhone(uk);
      expect(await outcomeType(allowed.person, allowed.codeId)).toEqual({ type: 'CodeDeliveryAccepted' });
      await stopDispatch();

      await startDispatch((d) => (d.limits.deniedCallingCodes = ['44']));
      const denied = await addPhone({ ...uk, phoneNumber: '+44 7400 123457' });
      expect(await outcomeType(denied.person, denied.codeId)).toEqual({
        type: 'CodeDeliveryBlocked',
        reason: 'countryNotAllowed',
      });
      await stopDispatch();

      await startDispatch((d) => (d.limits.allowedCallingCodes = ['1']));
      const notAllowed = await addPhone({ ...uk, phoneNumber: '+44 7400 123458' });
      expect(await outcomeType(notAllowed.person, notAllowed.codeId)).toEqual({
        type: 'CodeDeliveryBlocked',
        reason: 'countryNotAllowed',
      });
    });

    it('holds to the global messages-per-second ceiling by delaying messages, never by blocking them', async () => {
      const first = await addPhone(mobile());
      const second = await addPhone(mobile());
      const started = Date.now();
      await startDispatch((d) => (d.limits.perSecond = 1));
      const outcomes = [
        await outcomeType(first.person, first.codeId),
        await outcomeType(second.person, second.codeId),
      ];
      // One a second: the second waits for the next second rather than being blocked.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(outcomes).toEqual([{ type: 'CodeDeliveryAccepted' }, { type: 'CodeDeliveryAccepted' }]);
    });
  });

  describe('when Redis fails', () => {
    it('loses no code when Redis stops and comes back with its data', async () => {
      await startDispatch();
      await redis.stop(true);
      const person = await newPerson();
      const { codeId } = (await person.addPhone(mobile()).expect(201)).body.code;
      await redis.restart();
      const [outcome] = await outcomeOf(person.userId, codeId);
      expect(outcome.type).toBe('CodeDeliveryAccepted');
      expect(outboxFor(codeId)).toHaveLength(1);
    });

    it('queues a still-valid code again from the event log when Redis lost its jobs', async () => {
      await startDispatch();
      const sentBefore = await newPerson();
      const sentCode = (await sentBefore.addPhone(mobile()).expect(201)).body.code.codeId as string;
      await outcomeOf(sentBefore.userId, sentCode);
      await stopDispatch();

      // Queued, then lost before any worker took it: the dispatcher ran alone, then Redis lost everything.
      const config = signet.config;
      const client = redis.client();
      const queue = new DispatchQueue(config.dispatch.redisUrl, config.dispatch);
      const alone = new Dispatcher(signet.eventStore, queue, client, () => signet.clock.now());
      const person = await newPerson();
      const { codeId } = (await person.addPhone(mobile()).expect(201)).body.code;
      await alone.start();
      expect(await queue.queue.getJob(codeId)).toBeDefined();
      await alone.close();
      await queue.close();
      await client.flushall();
      client.disconnect();

      await startDispatch();
      const [outcome] = await outcomeOf(person.userId, codeId);
      expect(outcome.type).toBe('CodeDeliveryAccepted');
      expect(outboxFor(codeId)).toHaveLength(1);
      // The code sent before the loss was queued again too, and recognised as sent.
      expect(outboxFor(sentCode)).toHaveLength(1);
    });
  });
});
