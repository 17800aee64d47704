import { loadConfig } from '@signet/config';
import { securityInfoStream } from '@signet/domain';
import { HashChainingEventStore, SqliteEventStore, type EventStore } from '@signet/event-store';
import {
  DispatchRuntime,
  OutboxSender,
  type MessageSender,
  type OutgoingMessage,
  type SendReceipt,
} from '@signet/messaging';
import { Queue, Worker } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phoneOf, toAppend } from '../fixtures';
import { intFromEnv, ownPeakRssMb, percentile } from '../measure';
import { BenchRedis } from '../redis';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * Dispatch: a CodeSent appended to the event store → the code's message in the outbox (DATA_DIR/outbox.jsonl),
 * through the whole pipeline the worker process runs (DispatchRuntime, in this process): the catch-up
 * subscription, the BullMQ job, the stream read, the limits in Redis, the outbox write and the
 * CodeDeliveryAccepted event appended back. MESSAGES codes are appended at once (throughput), then RATE per
 * second for 5 s (latency at a steady load). The ceiling is a bare BullMQ queue and worker, same concurrency,
 * empty handler, on the same private Redis, moving the same number of jobs.
 */
const MESSAGES = intFromEnv('BENCH_DISPATCH_MESSAGES', 2000);
const RATE = intFromEnv('BENCH_DISPATCH_RATE', 100);
const PACED_SECONDS = 5;
/** WORKER_CONCURRENCY for the worker under test and for the bare one (default: the worker's default). */
const CONCURRENCY = process.env.BENCH_DISPATCH_CONCURRENCY;

/** The outbox, timed: when each code's message was written. */
class TimedSender implements MessageSender {
  readonly provider = 'outbox' as const;
  readonly sentAt = new Map<string, number>();
  private waiter: { count: number; resolve: () => void } | null = null;
  constructor(private readonly inner: OutboxSender) {}
  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const receipt = await this.inner.send(message);
    this.sentAt.set(message.codeId, performance.now());
    if (this.waiter && this.sentAt.size >= this.waiter.count) this.waiter.resolve();
    return receipt;
  }
  until(count: number): Promise<void> {
    if (this.sentAt.size >= count) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { count, resolve }));
  }
}

/** CPU time of this process and of the redis-server, seconds: a rate swings with the load beside it. */
function cpuSeconds(redis: BenchRedis): { own: number; redis: number } {
  const { user, system } = process.cpuUsage();
  return { own: (user + system) / 1e6, redis: redis.cpuSeconds() };
}

function cpuPerMessage(redis: BenchRedis, since: { own: number; redis: number }, messages: number): string {
  const now = cpuSeconds(redis);
  const us = (seconds: number) => ((seconds / messages) * 1e6).toFixed(0);
  return `${us(now.own - since.own)} µs + Redis ${us(now.redis - since.redis)} µs CPU per message`;
}

async function bareBullmq(redisUrl: string, jobs: number, concurrency: number): Promise<number> {
  const name = 'bench-bare';
  const queue = new Queue(name, { connection: { url: redisUrl } });
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker(name, async () => undefined, {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    concurrency,
  });
  worker.on('completed', () => ++done === jobs && finished());
  await worker.waitUntilReady();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: jobs }, (_, i) =>
      queue.add('job', { i }, { jobId: `j${i}`, removeOnComplete: { age: 3600 }, attempts: 5 }),
    ),
  );
  await allDone;
  const rate = jobs / ((performance.now() - started) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return rate;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-dispatch-'));
  const redis = await BenchRedis.start();
  let runtime: DispatchRuntime | undefined;
  let store: EventStore | undefined;
  try {
    const config = loadConfig({
      DATA_DIR: dir,
      REDIS_URL: redis.url,
      CODE_SECRET: randomBytes(32).toString('hex'),
      JWT_SECRET: randomBytes(32).toString('hex'),
      // The global rate limit (default 50/s) would be the figure otherwise; distinct numbers per user keep
      // the per-destination limits out of the way too.
      DISPATCH_MAX_PER_SECOND: '100000',
      LOG_LEVEL: 'warn',
      ...(CONCURRENCY ? { WORKER_CONCURRENCY: CONCURRENCY } : {}),
    });
    const concurrency = config.dispatch.concurrency;
    const bareCpu = cpuSeconds(redis);
    const ceiling = await bareBullmq(redis.url, MESSAGES, concurrency);
    const bareCpuNote = cpuPerMessage(redis, bareCpu, MESSAGES);

    const sqlite = new SqliteEventStore(config.eventStore);
    store = new HashChainingEventStore(sqlite);
    const provider = config.dispatch.provider;
    if (provider.name !== 'outbox') throw new Error('the bench dispatches to the outbox');
    const sender = new TimedSender(new OutboxSender(provider.filename));
    runtime = await DispatchRuntime.start({ config, store, sender });

    const appendedAt = new Map<string, number>();
    let n = 0;
    const appendCode = async () => {
      const i = n++;
      const userId = `dispatch-${i}`;
      const methodId = randomUUID();
      const codeId = randomUUID();
      const now = new Date();
      const expires = new Date(now.getTime() + 600_000).toISOString();
      await store!.appendToStream(
        securityInfoStream(userId),
        [
          toAppend(
            {
              type: 'PhoneMethodAdded',
              data: {
                methodId,
                phoneType: 'mobile',
                phoneNumber: phoneOf(i),
                extension: null,
                deliveryMethod: 'sms',
                addedAt: now.toISOString(),
              },
            },
            now.toISOString(),
            userId,
          ),
          toAppend(
            {
              type: 'CodeSent',
              data: {
                methodId,
                codeId,
                channel: 'sms',
                destination: '+1 XXXXXXXX00',
                sentAt: now.toISOString(),
                expiresAt: expires,
              },
            },
            now.toISOString(),
            userId,
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
      appendedAt.set(codeId, performance.now());
    };

    // Throughput: MESSAGES codes appended at once.
    const burstCpu = cpuSeconds(redis);
    const burstStarted = performance.now();
    await Promise.all(Array.from({ length: MESSAGES }, appendCode));
    const appended = sqlite.stats();
    await sender.until(MESSAGES);
    const throughput = MESSAGES / ((performance.now() - burstStarted) / 1000);
    const burstCpuNote = cpuPerMessage(redis, burstCpu, MESSAGES);
    // The outcome events' commits: how many appends each commit carried while the burst was sent.
    const sent = sqlite.stats();
    const appendsPerCommit = (sent.appends - appended.appends) / Math.max(1, sent.commits - appended.commits);
    const burstLatencies = [...appendedAt].map(([codeId, at]) => sender.sentAt.get(codeId)! - at);

    // Latency at a steady RATE.
    const pacedFrom = appendedAt.size;
    const total = RATE * PACED_SECONDS;
    const started = performance.now();
    const appends: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = started + (i / RATE) * 1000 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      appends.push(appendCode());
    }
    await Promise.all(appends);
    await sender.until(pacedFrom + total);
    const paced = [...appendedAt]
      .slice(pacedFrom)
      .map(([codeId, at]) => sender.sentAt.get(codeId)! - at)
      .sort((a, b) => a - b);
    burstLatencies.sort((a, b) => a - b);

    const figures: Figure[] = [
      {
        part: 'dispatch',
        figure: `CodeSent → outbox, ${MESSAGES} at once, worker concurrency ${concurrency}`,
        value: throughput,
        unit: 'msg/s',
        ceiling: { label: 'bare BullMQ worker, empty handler', value: ceiling },
        target: '≥ 0.5×',
        met: throughput / ceiling >= 0.5,
        peakRssMb: ownPeakRssMb(),
        note:
          `latency in the burst: p50 ${percentile(burstLatencies, 50).toFixed(0)} ms, ` +
          `p99 ${percentile(burstLatencies, 99).toFixed(0)} ms; ${appendsPerCommit.toFixed(1)} outcome appends per commit; ` +
          `${burstCpuNote} (bare: ${bareCpuNote})`,
      },
      {
        part: 'dispatch',
        figure: `CodeSent → outbox p99 at ${RATE} msg/s (paced)`,
        value: percentile(paced, 99),
        unit: 'ms',
        target: '—',
        note: `p50 ${percentile(paced, 50).toFixed(1)} ms`,
      },
    ];
    emit(figures);
  } finally {
    await runtime?.close();
    await store?.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
