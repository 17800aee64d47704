import { securityInfoRecord, type SecurityInfoEvent } from '@signet/domain';
import type { EventToAppend } from '@signet/event-store';
import { PersonalData, SqliteDataKeyStore, type RebuildStoresConfig } from '@signet/personal-data';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

/** The fixed secrets the benchmarks seal personal data with; an API they start is given the same. */
export const BENCH_SECRETS = {
  CODE_SECRET: Buffer.alloc(32, 1).toString('hex'),
  DATA_KEY_SECRET: Buffer.alloc(32, 2).toString('hex'),
};

/**
 * The people's keys as production has them (libs/personal-data): a key store beside the events in `dir`
 * (`keys.sqlite`, where an API started on that DATA_DIR finds it), one data key per user, the benchmarks'
 * master key.
 */
export function personalDataIn(dir: string): PersonalData {
  const config = storesConfigIn(dir, 1);
  return new PersonalData(new SqliteDataKeyStore(config.personalData.keyStore), config);
}

/** The configuration of the stores in `dir` (events, read model, keys), as an API on that DATA_DIR has it. */
export function storesConfigIn(dir: string, rebuildThreads: number): RebuildStoresConfig {
  return {
    codeSecret: Buffer.from(BENCH_SECRETS.CODE_SECRET, 'hex'),
    personalData: {
      masterKey: Buffer.from(BENCH_SECRETS.DATA_KEY_SECRET, 'hex'),
      previousMasterKeys: [],
      generated: false,
      keyStore: { filename: join(dir, 'keys.sqlite') },
    },
    eventStore: { filename: join(dir, 'events.sqlite'), synchronous: 'FULL' },
    readModel: {
      filename: join(dir, 'read-model.sqlite'),
      maxWaitMs: 0,
      batchSize: 500,
      leaseMs: 15_000,
      asOfSnapshotEvery: 500,
      rebuildThreads,
    },
  };
}

/**
 * Realistic Security info events for seeding the benchmarks' stores: the shapes the command side writes, with
 * the metadata it writes (actor, correlation, request, client), so a projection or a replay does real work.
 */
export function toAppend(event: SecurityInfoEvent, at: string, userId: string): EventToAppend {
  return securityInfoRecord(event, randomUUID(), at, {
    actor: { subject: userId, roles: ['user'] },
    commandType: 'AddPhoneMethod',
    correlationId: randomUUID(),
    causationId: randomUUID(),
    clientAddress: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (bench)',
  });
}

/** A number per user (distinct destinations, so no per-destination limit applies). */
export function phoneOf(n: number): string {
  return `+1425${String(2000000 + (n % 7000000)).padStart(7, '0')}`;
}

/**
 * Ten events of one user: a mobile added, a code sent, a wrong entry, verified, made the default; an office
 * phone added, called, verified, made the default by the user; the mobile deleted.
 */
export function tenEventsOf(userId: string, n: number, at = '2026-11-26T10:00:00.000Z'): EventToAppend[] {
  const mobile = randomUUID();
  const office = randomUUID();
  const code1 = randomUUID();
  const code2 = randomUUID();
  const events: SecurityInfoEvent[] = [
    {
      type: 'PhoneMethodAdded',
      data: {
        methodId: mobile,
        phoneType: 'mobile',
        phoneNumber: phoneOf(n),
        extension: null,
        deliveryMethod: 'sms',
        addedAt: at,
      },
    },
    {
      type: 'CodeSent',
      data: {
        methodId: mobile,
        codeId: code1,
        channel: 'sms',
        destination: '+1 XXXXXXXX00',
        sentAt: at,
        expiresAt: at,
      },
    },
    { type: 'VerificationFailed', data: { methodId: mobile, codeId: code1, attemptsRemaining: 4 } },
    {
      type: 'PhoneVerified',
      data: { methodId: mobile, codeId: code1, deliveryMethod: 'sms', verifiedAt: at },
    },
    {
      type: 'DefaultChanged',
      data: {
        current: { methodId: mobile, deliveryMethod: 'sms' },
        previous: null,
        reason: 'firstVerifiedMethod',
      },
    },
    {
      type: 'PhoneMethodAdded',
      data: {
        methodId: office,
        phoneType: 'office',
        phoneNumber: '+14255550199',
        extension: '123',
        deliveryMethod: 'voice',
        addedAt: at,
      },
    },
    {
      type: 'CodeSent',
      data: {
        methodId: office,
        codeId: code2,
        channel: 'voice',
        destination: '+1 XXXXXXXX99',
        sentAt: at,
        expiresAt: at,
      },
    },
    {
      type: 'PhoneVerified',
      data: { methodId: office, codeId: code2, deliveryMethod: 'voice', verifiedAt: at },
    },
    {
      type: 'DefaultChanged',
      data: {
        current: { methodId: office, deliveryMethod: 'voice' },
        previous: { methodId: mobile, deliveryMethod: 'sms' },
        reason: 'user',
      },
    },
    { type: 'MethodDeleted', data: { methodId: mobile, phoneType: 'mobile' } },
  ];
  return events.map((e) => toAppend(e, at, userId));
}

/**
 * A long-lived account's stream of `count` events: the same person adds an alternate mobile, gets a code,
 * mistypes it, proves it, makes it the default, moves the default back, deletes it — over and over, one
 * minute apart (so an `asOf` instant falls anywhere in it).
 */
export function longHistoryOf(
  userId: string,
  count: number,
  start = Date.parse('2020-01-01T00:00:00Z'),
): EventToAppend[] {
  const out: EventToAppend[] = [];
  const home = randomUUID();
  let minute = 0;
  const at = () => new Date(start + minute++ * 60_000).toISOString();
  const push = (e: SecurityInfoEvent) => out.push(toAppend(e, at(), userId));
  const homeCode = randomUUID();
  push({
    type: 'PhoneMethodAdded',
    data: {
      methodId: home,
      phoneType: 'mobile',
      phoneNumber: phoneOf(1),
      extension: null,
      deliveryMethod: 'sms',
      addedAt: at(),
    },
  });
  push({
    type: 'CodeSent',
    data: {
      methodId: home,
      codeId: homeCode,
      channel: 'sms',
      destination: '+1 XXXXXXXX00',
      sentAt: at(),
      expiresAt: at(),
    },
  });
  push({
    type: 'PhoneVerified',
    data: { methodId: home, codeId: homeCode, deliveryMethod: 'sms', verifiedAt: at() },
  });
  push({
    type: 'DefaultChanged',
    data: {
      current: { methodId: home, deliveryMethod: 'sms' },
      previous: null,
      reason: 'firstVerifiedMethod',
    },
  });
  while (out.length < count) {
    const alt = randomUUID();
    const code = randomUUID();
    const cycle: SecurityInfoEvent[] = [
      {
        type: 'PhoneMethodAdded',
        data: {
          methodId: alt,
          phoneType: 'alternateMobile',
          phoneNumber: phoneOf(2),
          extension: null,
          deliveryMethod: 'voice',
          addedAt: at(),
        },
      },
      {
        type: 'CodeSent',
        data: {
          methodId: alt,
          codeId: code,
          channel: 'voice',
          destination: '+1 XXXXXXXX01',
          sentAt: at(),
          expiresAt: at(),
        },
      },
      { type: 'VerificationFailed', data: { methodId: alt, codeId: code, attemptsRemaining: 4 } },
      {
        type: 'PhoneVerified',
        data: { methodId: alt, codeId: code, deliveryMethod: 'voice', verifiedAt: at() },
      },
      {
        type: 'DefaultChanged',
        data: {
          current: { methodId: alt, deliveryMethod: 'voice' },
          previous: { methodId: home, deliveryMethod: 'sms' },
          reason: 'user',
        },
      },
      {
        type: 'DefaultChanged',
        data: {
          current: { methodId: home, deliveryMethod: 'sms' },
          previous: { methodId: alt, deliveryMethod: 'voice' },
          reason: 'user',
        },
      },
      { type: 'MethodDeleted', data: { methodId: alt, phoneType: 'alternateMobile' } },
    ];
    for (const e of cycle) if (out.length < count) push(e);
  }
  return out;
}
