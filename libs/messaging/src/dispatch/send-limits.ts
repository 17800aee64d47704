import type { DispatchConfig } from '@signet/config';
import type { CodeDeliveryBlockReason } from '@signet/domain';
import type { Redis } from 'ioredis';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { createHash } from 'node:crypto';

/**
 * Check and count one destination's messages and the global rate in one step, atomically for every worker
 * sharing the Redis. The code id is the member of the destination's set, so a retried code counts once.
 * KEYS: destination set, global per-second counter. ARGV: now (ms), codeId, per hour, per day, per second.
 */
const RESERVE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 'ok' end
if redis.call('ZCOUNT', KEYS[1], now - 3600000, '+inf') >= tonumber(ARGV[3]) then return 'destinationHourlyLimit' end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 'destinationDailyLimit' end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[5]) then return 'globalRateLimit' end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 2000)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], 86400000)
return 'ok'
`;

/**
 * The limits against SMS pumping, enforced at dispatch: per destination number per rolling hour and day, per
 * country (allow and deny lists of calling codes) and a global messages-per-second ceiling.
 */
export class SendLimits {
  constructor(
    private readonly redis: Redis,
    private readonly limits: DispatchConfig['limits'],
    private readonly keyPrefix = 'signet:dispatch:',
  ) {}

  /** Counts the message against the limits and returns null, or says which limit refuses it. */
  async reserve(to: string, codeId: string, now: Date): Promise<CodeDeliveryBlockReason | null> {
    const callingCode = parsePhoneNumberFromString(to)?.countryCallingCode ?? '';
    const { allowedCallingCodes, deniedCallingCodes } = this.limits;
    if (allowedCallingCodes.length > 0 && !allowedCallingCodes.includes(callingCode))
      return 'countryNotAllowed';
    if (deniedCallingCodes.includes(callingCode)) return 'countryNotAllowed';

    // The number is hashed: Redis needs to count per destination, not to know it.
    const destination = createHash('sha256').update(to).digest('hex').slice(0, 32);
    const second = Math.floor(now.getTime() / 1000);
    const verdict = await this.redis.eval(
      RESERVE,
      2,
      `${this.keyPrefix}destination:${destination}`,
      `${this.keyPrefix}rate:${second}`,
      now.getTime(),
      codeId,
      this.limits.perDestinationPerHour,
      this.limits.perDestinationPerDay,
      this.limits.perSecond,
    );
    return verdict === 'ok' ? null : (verdict as CodeDeliveryBlockReason);
  }
}
