import { MethodsPolicyInForce } from '@signet/command-handling';
import { withTimeout, type SignetConfig } from '@signet/config';
import { VerificationCodes } from '@signet/domain';
import type { EventStore } from '@signet/event-store';
import { PhoneFingerprints } from '@signet/personal-data';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CodeDispatch } from './code-dispatch';
import { createMessageSender } from '../providers/create-message-sender';
import { DeliveryRecorder } from './delivery-recorder';
import { DispatchQueue } from './dispatch-queue';
import { DispatchWorker } from './dispatch-worker';
import { NoticeDispatch } from './notice-dispatch';
import { NoticeWebhook } from '../providers/http/notice-webhook';
import { Dispatcher } from './dispatcher';
import type { MessageSender } from '../providers/message-sender.port';
import { SendLimits } from './send-limits';

export interface DispatchRuntimeOptions {
  config: Pick<SignetConfig, 'dispatch' | 'codeSecret'>;
  store: EventStore;
  now?: () => Date;
  /** Defaults to the provider SMS_PROVIDER names. */
  sender?: MessageSender;
}

/**
 * Everything the worker process runs: the CodeSent → job dispatcher and the BullMQ worker that sends.
 * Stops in order: no new events, then no new jobs, in-flight ones finished, then the connections.
 */
export class DispatchRuntime {
  private constructor(
    readonly dispatcher: Dispatcher,
    readonly queue: DispatchQueue,
    readonly worker: DispatchWorker,
    readonly sender: MessageSender,
    private readonly redis: Redis,
  ) {}

  static async start(options: DispatchRuntimeOptions): Promise<DispatchRuntime> {
    const { dispatch } = options.config;
    const now = options.now ?? (() => new Date());
    const redis = new Redis(dispatch.redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', (error: Error) => new Logger('DispatchRuntime').warn(`Redis: ${error.message}`));
    const sender = options.sender ?? createMessageSender(dispatch, now);
    const queue = new DispatchQueue(dispatch.redisUrl, dispatch);
    const fingerprints = new PhoneFingerprints(options.config.codeSecret);
    const limits = new SendLimits(redis, dispatch.limits, (e164) => fingerprints.of(e164));
    const policyInForce = new MethodsPolicyInForce(options.store);
    const methodsPolicy = async () => (await policyInForce.current()).policy;
    const recorder = new DeliveryRecorder(options.store, now);
    const codeDispatch = new CodeDispatch({
      sender,
      limits,
      codes: new VerificationCodes(options.config.codeSecret),
      recorder,
      now,
      otpDomain: dispatch.otpDomain,
      maxAttempts: dispatch.maxAttempts,
      methodsPolicy,
    });
    const { notices } = dispatch;
    const noticeDispatch = new NoticeDispatch({
      store: options.store,
      sender,
      limits,
      recorder,
      webhook: notices.webhook && new NoticeWebhook(notices.webhook),
      linkUrl: notices.linkUrl,
      now,
      maxAttempts: dispatch.maxAttempts,
      methodsPolicy,
    });
    const worker = new DispatchWorker(dispatch.redisUrl, codeDispatch, noticeDispatch, dispatch);
    const dispatcher = new Dispatcher(options.store, queue, redis, now, notices.enabled);
    worker.start();
    await dispatcher.start();
    return new DispatchRuntime(dispatcher, queue, worker, sender, redis);
  }

  /**
   * Graceful, within `deadlineMs`: no new events, no new jobs, in-flight sends finished and recorded. With
   * Redis down a graceful step could wait for ever (a client retrying its commands, a job that cannot be
   * moved to completed), so each step has the time left and is then forced: nothing is lost by it, since the
   * checkpoint did not move and a job not marked done is run again (and recognised as sent).
   */
  async close(deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    const left = (floorMs: number) => Math.max(floorMs, deadline - Date.now());
    const logger = new Logger('DispatchRuntime');
    const bounded = async (
      what: string,
      step: () => Promise<unknown>,
      force: () => Promise<unknown>,
      ms: number,
    ) => {
      try {
        await withTimeout(step(), ms);
      } catch (error) {
        logger.warn(`Closing ${what}: ${(error as Error).message}; forcing it`);
        await withTimeout(force(), 1000).catch(() => undefined);
      }
    };
    await this.dispatcher.close(Math.min(5000, left(500)));
    await bounded(
      'the worker',
      () => this.worker.close(),
      () => this.worker.forceClose(),
      left(500),
    );
    await bounded(
      'the queue',
      () => this.queue.close(),
      () => this.queue.queue.disconnect(),
      left(500),
    );
    await bounded(
      'the provider',
      async () => this.sender.close?.(),
      async () => undefined,
      left(500),
    );
    await bounded(
      'Redis',
      () => this.redis.quit(),
      async () => this.redis.disconnect(),
      left(500),
    );
  }
}
