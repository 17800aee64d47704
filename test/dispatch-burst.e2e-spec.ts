import { DispatchRuntime, readOutbox } from '@signet/messaging';
import type { RecordedEvent } from '@signet/event-store';
import { eventually } from '@signet/testing';
import { RedisServer } from './support/redis-server';
import { Person, SignetTestApp } from './support/signet-app';

/**
 * A burst of codes meets the global messages-per-second ceiling: it is sent late, never blocked. 500 people
 * add a phone (through the API), then the dispatcher and the worker start with DISPATCH_MAX_PER_SECOND=50: every
 * code reaches the outbox, about 10 s later, and no CodeDeliveryBlocked is recorded.
 */
describe('a burst of codes under the global ceiling', () => {
  const CODES = 500;
  const PER_SECOND = 50;
  let redis: RedisServer;
  let signet: SignetTestApp;
  let runtime: DispatchRuntime | null = null;

  beforeAll(async () => {
    redis = await RedisServer.start();
    signet = await SignetTestApp.start({
      REDIS_URL: redis.url,
      DISPATCH_MAX_PER_SECOND: String(PER_SECOND),
      // Enough in flight that the ceiling, not the worker, sets the pace.
      WORKER_CONCURRENCY: '25',
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await signet?.stop();
    await redis?.destroy();
  });

  it(`sends all ${CODES} codes at ${PER_SECOND} a second and blocks none`, async () => {
    const codeIds: string[] = [];
    for (let start = 0; start < CODES; start += 50) {
      const added = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const n = start + i;
          const person = await Person.signIn(signet, `burst-${n}`);
          const response = await person
            .addPhone({
              phoneNumber: `+1 425 555 ${String(1000 + n).padStart(4, '0')}`,
              phoneType: 'mobile',
              deliveryMethod: 'sms',
            })
            .expect(201);
          return response.body.code.codeId as string;
        }),
      );
      codeIds.push(...added);
    }

    const outbox = (signet.config.dispatch.provider as { filename: string }).filename;
    const started = Date.now();
    runtime = await DispatchRuntime.start({
      config: signet.config,
      store: signet.eventStore,
      now: () => signet.clock.now(),
    });
    await eventually(() => readOutbox(outbox).length >= CODES, {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: `${CODES} codes in the outbox`,
    });
    const elapsedMs = Date.now() - started;

    const outcomes = new Map<string, string>();
    await eventually(
      async () => {
        for await (const event of signet.eventStore.readAll({
          filter: { streamPrefixes: ['codeDelivery-'] },
        })) {
          const { codeId } = event.data as { codeId: string };
          outcomes.set(codeId, (event as RecordedEvent).type);
        }
        return outcomes.size >= CODES;
      },
      { timeoutMs: 5000, description: 'every outcome recorded' },
    );
    const types = [...outcomes.values()];
    const blocked = types.filter((type) => type === 'CodeDeliveryBlocked').length;
    const sent = new Set(readOutbox(outbox).map((line) => line.codeId));
    console.log(
      `${CODES} codes at DISPATCH_MAX_PER_SECOND=${PER_SECOND}: ${sent.size} sent, ${blocked} blocked, ` +
        `in ${(elapsedMs / 1000).toFixed(1)} s`,
    );

    expect(blocked).toBe(0);
    expect(types.every((type) => type === 'CodeDeliveryAccepted')).toBe(true);
    expect(codeIds.every((codeId) => sent.has(codeId))).toBe(true);
    expect(readOutbox(outbox)).toHaveLength(CODES);
    // 50 at once, then 50 a second: the last 50 leave no earlier than 9 s after the first.
    expect(elapsedMs).toBeGreaterThanOrEqual((CODES / PER_SECOND - 1) * 1000 - 500);
    expect(elapsedMs).toBeLessThan(15_000);
  }, 60_000);
});
