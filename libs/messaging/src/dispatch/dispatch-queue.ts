import { Logger } from '@nestjs/common';
import { Queue, type Job } from 'bullmq';
import { DISPATCH_QUEUE, type DispatchJob } from './dispatch-job';

export interface FailedDispatch {
  jobId: string;
  codeId: string;
  userId: string;
  methodId: string;
  attempts: number;
  reason: string;
  failedAt: string | null;
}

export class DispatchJobNotFound extends Error {
  override readonly name = 'DispatchJobNotFound';
}

/** The queue side: enqueue a code (at most once per code id), list and re-queue dead-lettered jobs. */
export class DispatchQueue {
  readonly queue: Queue<DispatchJob>;

  constructor(
    redisUrl: string,
    private readonly retry: { maxAttempts: number; backoffMs: number },
  ) {
    this.queue = new Queue<DispatchJob>(DISPATCH_QUEUE, { connection: { url: redisUrl } });
    // Connection trouble is retried by the client; say so once per error instead of crashing on it.
    this.queue.on('error', (error) => new Logger('DispatchQueue').warn(`Redis: ${error.message}`));
  }

  /** The job id is the code id: BullMQ ignores a second add while the first job is kept. */
  async enqueue(job: DispatchJob): Promise<void> {
    await this.queue.add('send-code', job, {
      jobId: job.codeId,
      attempts: this.retry.maxAttempts,
      // Exponential with jitter, so a provider outage is not met by every worker at the same instant.
      backoff: { type: 'exponential', delay: this.retry.backoffMs, jitter: 0.5 },
      // Kept a day once done, so a re-delivered CodeSent still finds it; failed ones are kept for operators.
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: false,
    });
  }

  /** Jobs whose attempts ran out or whose failure was permanent, newest first. */
  async failed(): Promise<FailedDispatch[]> {
    const jobs = await this.queue.getFailed(0, 999);
    return jobs.map((job: Job<DispatchJob>) => ({
      jobId: String(job.id),
      codeId: job.data.codeId,
      userId: job.data.userId,
      methodId: job.data.methodId,
      attempts: job.attemptsMade,
      reason: job.failedReason,
      failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    }));
  }

  /** Puts a failed job back in the queue with fresh attempts. */
  async retryFailed(jobId: string): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job || (await job.getState()) !== 'failed')
      throw new DispatchJobNotFound(`No failed dispatch job ${jobId} (see "dispatch failed")`);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
