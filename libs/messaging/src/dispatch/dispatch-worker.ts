import { Logger } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { CodeDispatch } from './code-dispatch';
import type { NoticeDispatch } from './notice-dispatch';
import { DISPATCH_QUEUE, type DispatchJob } from './dispatch-job';
import { DeliveryError } from '../providers/message-sender.port';

/**
 * The BullMQ worker running CodeDispatch. A permanent provider failure ends the job at once (no retry); a
 * transient one is retried with backoff until the attempts run out, then the job stays in the failed set.
 */
export class DispatchWorker {
  private readonly logger = new Logger('DispatchWorker');
  readonly worker: Worker<DispatchJob>;

  constructor(
    redisUrl: string,
    dispatch: CodeDispatch,
    notices: NoticeDispatch,
    options: { concurrency: number; stalledAfterMs: number; limits: { perSecond: number } },
  ) {
    this.worker = new Worker<DispatchJob>(
      DISPATCH_QUEUE,
      async (job: Job<DispatchJob>) => {
        try {
          const attempt = job.attemptsMade + 1;
          return await (job.data.kind === 'notice'
            ? notices.dispatch(job.data, attempt)
            : dispatch.dispatch(job.data, attempt));
        } catch (error) {
          // Only ids in the log: never the body, which holds the code.
          this.logger.warn(
            `Code ${job.data.codeId}, attempt ${job.attemptsMade + 1}: ${(error as Error).message}`,
          );
          if (error instanceof DeliveryError && error.permanent) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      // maxRetriesPerRequest null: the worker's blocking connection must wait out a Redis restart, not fail.
      {
        connection: { url: redisUrl, maxRetriesPerRequest: null },
        concurrency: options.concurrency,
        // A worker that dies mid-job stops renewing its lock; once it lapses the job is run again
        // (the provider gets the same idempotency key, so the phone gets one message).
        lockDuration: options.stalledAfterMs,
        stalledInterval: options.stalledAfterMs,
        autorun: false,
        // The global messages-per-second ceiling delays jobs, it never blocks a code: BullMQ keeps the limiter
        // in Redis, per queue, so it holds across every worker sharing the queue.
        limiter: { max: options.limits.perSecond, duration: 1000 },
      },
    );
    this.worker.on('error', (error) => this.logger.error(`Queue connection: ${error.message}`));
  }

  start(): void {
    void this.worker.run().catch((error: unknown) => this.logger.error(`Worker stopped: ${String(error)}`));
  }

  /** Graceful: takes no new job and waits for the ones in flight to finish. */
  async close(): Promise<void> {
    await this.worker.close();
  }

  /** Not waiting for the jobs in flight (their locks lapse and another worker runs them again). */
  async forceClose(): Promise<void> {
    void this.worker.close(true).catch(() => undefined);
    await this.worker.disconnect();
  }
}
