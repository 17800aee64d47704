import { waitUntilAnswering, withoutPassword, type Dependency } from '@signet/config';
import { Redis } from 'ioredis';
import { RedisUnavailableError } from './private-redis-server';

/**
 * An external Redis (REDIS_URL) as a start-up dependency. The worker's own clients retry forever by design
 * (a Redis restart must not lose jobs), so the wait uses a probe of its own that fails fast instead.
 */
export function redisDependency(redisUrl: string): Dependency {
  return {
    name: 'Redis',
    configuredBy: `REDIS_URL: ${withoutPassword(redisUrl)}`,
    waitFor: (timeoutMs) =>
      waitUntilAnswering(
        () => pingRedis(redisUrl),
        { timeoutMs },
        (error, waited) =>
          new RedisUnavailableError(`Redis is unreachable after ${waited} ms: ${(error as Error).message}`, {
            cause: error,
          }),
      ),
  };
}

/** One PING on a connection of its own that fails fast (no retries, no offline queue), then closed. */
export async function pingRedis(redisUrl: string): Promise<void> {
  const probe = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
}
