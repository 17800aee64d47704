import { parseArgs } from 'node:util';
import { loadConfig } from '@signet/config';
import { DispatchJobNotFound, DispatchQueue, pingRedis, redisLocation } from '@signet/messaging';
import { UsageError, type CliCommand } from '../cli-command';

export const dispatchCommand: CliCommand = {
  name: 'dispatch',
  usage: `dispatch failed
      List the code dispatch jobs that failed for good (attempts exhausted, or refused by the provider).
  dispatch retry <jobId>
      Put a failed job back in the queue with fresh attempts (the job id is the code id).`,
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const [action, ...rest] = positionals;
    if (action === 'failed' && rest.length === 0) return withQueue((queue) => listFailed(queue));
    if (action === 'retry' && rest.length === 1)
      return withQueue(async (queue) => {
        try {
          await queue.retryFailed(rest[0]);
        } catch (error) {
          if (error instanceof DispatchJobNotFound) throw new UsageError(error.message);
          throw error;
        }
        return `Re-queued ${rest[0]}`;
      });
    throw new UsageError('Usage: dispatch failed | dispatch retry <jobId>');
  },
};

async function listFailed(queue: DispatchQueue): Promise<string> {
  const failed = await queue.failed();
  if (failed.length === 0) return 'No failed dispatch jobs.';
  return failed
    .map(
      (f) =>
        `${f.jobId}  user=${f.userId}  attempts=${f.attempts}  failedAt=${f.failedAt ?? '-'}  ${f.reason}`,
    )
    .join('\n');
}

async function withQueue(work: (queue: DispatchQueue) => Promise<string>): Promise<string> {
  const { dispatch } = loadConfig();
  // Fail fast with a clear message rather than wait for a Redis that is not there.
  await pingRedis(dispatch.redisUrl).catch(() => {
    throw new Error(
      `Cannot reach ${redisLocation(dispatch)}` +
        (dispatch.privateRedis
          ? ': it runs while the worker does (`npm start`, or `npm run start:worker`), or set REDIS_URL.'
          : '.'),
    );
  });
  const queue = new DispatchQueue(dispatch.redisUrl, dispatch);
  try {
    return await work(queue);
  } finally {
    await queue.close();
  }
}
