import type { DispatchConfig } from '@signet/config';
import type { CodeDeliveryBlockReason } from '@signet/domain';
import type { Redis } from 'ioredis';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Check and count one destination's messages in one step, atomically for every worker sharing the Redis. The
 * code id is the member of the destination's set, so a retried code counts once.
 * KEYS: destination set. ARGV: now (ms), codeId, per hour, per day.
 */
const RESERVE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 'ok' end
if redis.call('ZCOUNT', KEYS[1], now - 3600000, '+inf') >= tonumber(ARGV[3]) then return 'destinationHourlyLimit' end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 'destinationDailyLimit' end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], 86400000)
return 'ok'
`;

/**
 * The limits against SMS pumping that may block a message for good, enforced at dispatch: per destination
 * number per rolling hour and day, and per country (allow and deny lists of calling codes). The global
 * messages-per-second ceiling is not one of them: it only delays messages (the queue's limiter, see
 * DispatchWorker), so a burst of codes is sent late, never dropped.
 */
export class SendLimits {
  private readonly reserveScript: (key: string, ...args: Array<string | number>) => Promise<unknown>;

  constructor(
    redis: Redis,
    private readonly limits: DispatchConfig['limits'],
    /** The keyed fingerprint of a number (HMAC with a deployment secret): Redis counts it, never the number. */
    private readonly fingerprint: (e164: string) => string,
    private readonly keyPrefix = 'signet:dispatch:',
  ) {
    // EVALSHA, not EVAL: the script's text is sent once per connection, not with every message (ioredis sends
    // it again by itself when Redis has forgotten it, after a restart or SCRIPT FLUSH).
    const commands = redis as unknown as Record<string, SendLimits['reserveScript'] | undefined>;
    if (!commands.signetReserveDestination)
      redis.defineCommand('signetReserveDestination', { numberOfKeys: 1, lua: RESERVE });
    this.reserveScript = (...args) => commands.signetReserveDestination!.apply(redis, args);
  }

  /** Counts the message against the limits and returns null, or says which limit refuses it. */
  async reserve(
    to: string,
    codeId: string,
    now: Date,
  ): Promise<Exclude<CodeDeliveryBlockReason, 'globalRateLimit'> | null> {
    const { allowedCallingCodes, deniedCallingCodes } = this.limits;
    // Parsing a number costs more than the rest of the check: only when a country list asks for it.
    if (allowedCallingCodes.length > 0 || deniedCallingCodes.length > 0) {
      const callingCode = parsePhoneNumberFromString(to)?.countryCallingCode ?? '';
      if (allowedCallingCodes.length > 0 && !allowedCallingCodes.includes(callingCode))
        return 'countryNotAllowed';
      if (deniedCallingCodes.includes(callingCode)) return 'countryNotAllowed';
    }

    // Keyed, not a plain hash: the few billion possible numbers could be hashed one by one and matched.
    const destination = this.fingerprint(to);
    const verdict = await this.reserveScript(
      `${this.keyPrefix}destination:${destination}`,
      now.getTime(),
      codeId,
      this.limits.perDestinationPerHour,
      this.limits.perDestinationPerDay,
    );
    return verdict === 'ok' ? null : (verdict as 'destinationHourlyLimit' | 'destinationDailyLimit');
  }
}
