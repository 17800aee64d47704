import { Logger } from '@nestjs/common';
import {
  NOTICE_TRIGGER_TYPES,
  securityChangeOf,
  SECURITY_INFO_CATEGORY,
  SIGN_IN_CHALLENGE_CATEGORY,
  securityInfoEventOf,
  userIdOfChallengeStream,
  userIdOfStream,
} from '@signet/domain';
import type { EventStore, RecordedEvent, Subscription } from '@signet/event-store';
import type { Redis } from 'ioredis';
import type { DispatchQueue } from './dispatch-queue';

export const DISPATCHER_CHECKPOINT_KEY = 'signet:dispatcher:checkpoint';
/** Enqueues in flight at once while the dispatcher works through a burst of codes. */
const QUEUEING_AHEAD = 32;

/**
 * The reactor from CodeSent to a job: a catch-up subscription from its own checkpoint, one job per code. The
 * checkpoint advances only after the enqueue, so a crash between the append and the enqueue sends the code
 * after restart (the job id is the code id, so an event seen twice queues once).
 *
 * The checkpoint lives in the same Redis as the jobs: if Redis loses its data, both go together and the
 * dispatcher reads the log again from the start, queueing every code that is still valid (expired ones are
 * moot; codes already sent are recognised by the worker from their outcome event and not sent twice).
 */
export class Dispatcher {
  private readonly logger = new Logger('Dispatcher');
  private subscription: Subscription | null = null;
  private running: Promise<void> | null = null;
  private closing = false;
  private pendingCheckpoint: bigint | null = null;
  private checkpointWrite: Promise<void> | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly queue: DispatchQueue,
    private readonly redis: Redis,
    private readonly now: () => Date,
    /** Queue security notices too (NOTICES=on). */
    private readonly notices = false,
  ) {}

  /** Starts the subscription; resolves once the backlog is queued (live events keep coming after). */
  async start(): Promise<void> {
    const saved = await this.redis.get(DISPATCHER_CHECKPOINT_KEY);
    const recovering = saved === null;
    this.subscription = this.store.subscribeToAll({
      fromPosition: saved === null ? 'start' : BigInt(saved),
      // Registration codes (CodeSent on the Security info streams) and sign-in challenges' codes
      // (SignInChallengeCodeSent on the challenge streams) take the same queue, worker, limits and providers.
      // With notices on, the changes that call for a security notice too.
      filter: {
        eventTypes: ['CodeSent', 'SignInChallengeCodeSent', ...(this.notices ? NOTICE_TRIGGER_TYPES : [])],
        streamPrefixes: [`${SECURITY_INFO_CATEGORY}-`, `${SIGN_IN_CHALLENGE_CATEGORY}-`],
      },
    });
    const subscription = this.subscription;
    this.running = this.follow(subscription, recovering).catch((error: unknown) => {
      if (this.closing) return;
      // Left unhandled on purpose: a dispatcher that cannot read the log takes the worker process down, and
      // its supervisor restarts it from the checkpoint, rather than a worker that runs on sending nothing.
      this.logger.error(`Dispatcher stopped: ${(error as Error).message}`);
      throw error;
    });
    await Promise.race([subscription.caughtUp, this.running]);
  }

  /**
   * Queues the codes in log order, up to QUEUEING_AHEAD enqueues in flight at once (one round trip each, so
   * waiting for each before the next made a burst of codes crawl). The checkpoint only ever moves to an event
   * whose job is queued along with every job before it.
   */
  private async follow(subscription: Subscription, recovering: boolean): Promise<void> {
    const window: Array<{ position: bigint; queued: boolean; settled: Promise<void> }> = [];
    let failure: { error: unknown } | null = null;
    const advance = () => {
      while (window.length > 0 && window[0].queued) this.advanceCheckpoint(window.shift()!.position);
    };
    for await (const event of subscription) {
      if (failure) break;
      const entry = { position: event.position, queued: false, settled: Promise.resolve() };
      entry.settled = this.handle(event, recovering).then(
        () => {
          entry.queued = true;
          advance();
        },
        (error: unknown) => void (failure ??= { error }),
      );
      window.push(entry);
      if (window.length >= QUEUEING_AHEAD) await window[0].settled;
      if (failure) break;
    }
    await Promise.all(window.map((entry) => entry.settled));
    if (failure) throw (failure as { error: unknown }).error;
  }

  private async handle(event: RecordedEvent, recovering: boolean): Promise<void> {
    const sent = securityInfoEventOf(event);
    if (sent.type !== 'CodeSent' && sent.type !== 'SignInChallengeCodeSent')
      return this.handleChange(event, sent, recovering);
    const userId =
      sent.type === 'CodeSent'
        ? userIdOfStream(event.streamId)
        : sent.type === 'SignInChallengeCodeSent'
          ? userIdOfChallengeStream(event.streamId)
          : null;
    if (sent.type !== 'CodeSent' && sent.type !== 'SignInChallengeCodeSent') return;
    const { data } = sent;
    const stillValid = Date.parse(data.expiresAt) > this.now().getTime();
    if (userId !== null && (stillValid || !recovering)) {
      const job = {
        codeId: data.codeId,
        userId,
        methodId: data.methodId,
        codeSentEventId: event.id,
        correlationId: typeof event.metadata.correlationId === 'string' ? event.metadata.correlationId : null,
        kind: sent.type === 'CodeSent' ? ('verification' as const) : sent.data.purpose,
      };
      await this.untilDone(() => this.queue.enqueue(job));
    }
  }

  /**
   * A change that calls for a security notice queues one (job id `notice-<event id>`: queued once). After a
   * Redis loss, notices older than a day are not queued again: a late warning only confuses.
   */
  private async handleChange(
    event: RecordedEvent,
    change: ReturnType<typeof securityInfoEventOf>,
    recovering: boolean,
  ): Promise<void> {
    const userId = userIdOfStream(event.streamId);
    if (!this.notices || userId === null || securityChangeOf(change) === null) return;
    const occurredAt = Date.parse(String(event.metadata.occurredAt ?? event.recordedAt.toISOString()));
    if (recovering && this.now().getTime() - occurredAt > 24 * 3600_000) return;
    await this.untilDone(() =>
      this.queue.enqueue({
        codeId: `notice-${event.id}`,
        userId,
        methodId: 'methodId' in change.data ? String(change.data.methodId) : '',
        codeSentEventId: event.id,
        correlationId: typeof event.metadata.correlationId === 'string' ? event.metadata.correlationId : null,
        kind: 'notice',
      }),
    );
  }

  /**
   * Saves the checkpoint once the event's job (and every one before it) is queued, without making the next
   * event wait for it: one write at a time, each with the latest position reached. The saved checkpoint never
   * passes an event whose job is not queued; at worst it lags a few events, which a restart queues again
   * (once: the job id is the code id).
   */
  private advanceCheckpoint(position: bigint): void {
    this.pendingCheckpoint = position;
    if (!this.checkpointWrite) this.checkpointWrite = this.writeCheckpoints();
  }

  private async writeCheckpoints(): Promise<void> {
    try {
      while (this.pendingCheckpoint !== null) {
        const next = this.pendingCheckpoint;
        this.pendingCheckpoint = null;
        await this.untilDone(() => this.redis.set(DISPATCHER_CHECKPOINT_KEY, next.toString()));
      }
    } catch {
      // Only when closing with Redis down: the checkpoint did not move, a restart reads from the last one.
    } finally {
      // In the same turn as the loop's last check: a position handed over after it starts a new writer.
      this.checkpointWrite = null;
    }
  }

  /** Redis down: wait and try again (the event is not lost, just late); give up only when closing. */
  private async untilDone(step: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await step();
        return;
      } catch (error) {
        if (this.closing) throw error;
        if (attempt === 0) this.logger.warn(`Queueing paused: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }

  /** Stops following the log; waits at most `deadlineMs` for the last enqueues and checkpoint write. */
  async close(deadlineMs = 5000): Promise<void> {
    this.closing = true;
    await this.subscription?.close();
    // An enqueue waiting on a Redis that is down must not hold the shutdown: the checkpoint did not move.
    await Promise.race([
      (async () => {
        await this.running?.catch(() => undefined);
        // The last checkpoint write, so that a restart does not queue the last events again.
        while (this.checkpointWrite) await this.checkpointWrite;
      })(),
      new Promise((resolve) => setTimeout(resolve, deadlineMs).unref()),
    ]);
  }
}
