import { securityInfoAsOf } from '@signet/audit';
import { issueToken } from '@signet/auth';
import { securityInfoStream } from '@signet/domain';
import { HashChainingEventStore, SqliteEventStore } from '@signet/event-store';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_SECRETS, longHistoryOf, personalDataIn } from '../fixtures';
import { send, startApi, stopAll } from '../http-client';
import { intFromEnv, peakRssMbOf, percentile } from '../measure';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * Audit `asOf` on one user's stream of EVENTS events, through the HTTP API as an auditor would ask it:
 * `GET /v1/audit/users/{userId}/security-info?asOf=` with an instant past the last event (the whole stream is
 * replayed) and one half-way through, and a first look at each of FIRST_LOOKS other such users. The streams
 * are written through the personal-data seal and the hash chain, as production writes them. Each request also
 * records the read in the access log (an fsynced append), as always.
 * For comparison, the same replay called in-process on the audit library (no HTTP, no access log).
 */
const EVENTS = intFromEnv('BENCH_AUDIT_EVENTS', 10_000);
const REQUESTS = intFromEnv('BENCH_AUDIT_REQUESTS', 30);
/** Users with a stream as long, each asked once: an auditor's first look at a person (no fold in memory). */
const FIRST_LOOKS = intFromEnv('BENCH_AUDIT_FIRST_LOOKS', 7);
const JWT_SECRET = randomBytes(32).toString('hex');
const USER = 'long-lived';
const START = Date.parse('2020-01-01T00:00:00Z');

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-audit-'));
  const children: ChildProcess[] = [];
  try {
    // Sealed as production writes (numbers, client addresses, user agents under each person's key), so every
    // replay below opens them as the API does.
    const store = personalDataIn(dataDir).sealing(
      new HashChainingEventStore(new SqliteEventStore({ filename: join(dataDir, 'events.sqlite') })),
      { closesKeys: true },
    );
    const strangers = Array.from({ length: FIRST_LOOKS }, (_, i) => `first-look-${i}`);
    for (const user of [USER, ...strangers]) {
      const events = longHistoryOf(user, EVENTS, START);
      for (let i = 0; i < events.length; i += 1000) {
        await store.appendToStream(securityInfoStream(user), events.slice(i, i + 1000), {
          expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1),
        });
      }
    }
    const end = new Date(START + EVENTS * 2 * 60_000).toISOString();
    const middle = new Date(START + (EVENTS / 2) * 60_000).toISOString();
    const library: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      await securityInfoAsOf(store, USER, { asOf: new Date(end) }, 'masked');
      library.push(performance.now() - started);
    }
    await store.close();
    library.sort((a, b) => a - b);

    const api = await startApi({ DATA_DIR: dataDir, JWT_SECRET, ...BENCH_SECRETS });
    children.push(api.child);
    const jwt = { mode: 'secret' as const, secret: new TextEncoder().encode(JWT_SECRET) };
    const token = await issueToken(jwt, { subject: 'auditor-1', roles: ['auditor'], ttlSeconds: 3600 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ask = async (user: string, asOf: string): Promise<number> => {
      const started = performance.now();
      const reply = await send(
        agent,
        api.port,
        'GET',
        `/v1/audit/users/${user}/security-info?asOf=${encodeURIComponent(asOf)}`,
        token,
      );
      if (reply.status !== 200)
        throw new Error(`asOf answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      return performance.now() - started;
    };
    const timed = async (asOf: string): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < REQUESTS + 3; i++) {
        const took = await ask(USER, asOf);
        if (i >= 3) out.push(took); // the first three warm up
      }
      return out.sort((a, b) => a - b);
    };
    const whole = await timed(end);
    const half = await timed(middle);
    // Warm by now (the requests above): each of these users is looked at for the first time.
    const firstLooks: number[] = [];
    for (const user of strangers) firstLooks.push(await ask(user, end));
    firstLooks.sort((a, b) => a - b);
    agent.destroy();
    const apiRss = peakRssMbOf(api.child.pid!);
    // The API keeps the fold of a history it replayed (AsOfSnapshots): the whole-stream answers after the first
    // continue from it, the half-way ones (earlier than that fold) replay from the start every time, and the
    // in-process library call below has no snapshots at all: a first look at a user.
    const figures: Figure[] = [
      {
        part: 'audit',
        figure: `asOf over HTTP, first look at a ${EVENTS.toLocaleString('en-US')}-event stream (p50 of ${FIRST_LOOKS} users)`,
        value: percentile(firstLooks, 50),
        unit: 'ms',
        target: '< 50 ms',
        met: percentile(firstLooks, 50) < 50,
        note: `max ${firstLooks[firstLooks.length - 1].toFixed(1)} ms`,
      },
      {
        part: 'audit',
        figure: `asOf over HTTP, ${EVENTS.toLocaleString('en-US')}-event stream, whole stream, repeated (p50)`,
        value: percentile(whole, 50),
        unit: 'ms',
        target: '< 50 ms',
        met: percentile(whole, 50) < 50,
        peakRssMb: apiRss,
        note: `max ${whole[whole.length - 1].toFixed(1)} ms over ${REQUESTS}`,
      },
      {
        part: 'audit',
        figure: `asOf over HTTP, half-way: replayed from the start each time (p50)`,
        value: percentile(half, 50),
        unit: 'ms',
        target: '< 50 ms',
        met: percentile(half, 50) < 50,
      },
      {
        part: 'audit',
        figure: `asOf, full replay of ${EVENTS.toLocaleString('en-US')} events, no snapshot (library, p50)`,
        value: percentile(library, 50),
        unit: 'ms',
        target: '< 50 ms',
        met: percentile(library, 50) < 50,
      },
    ];
    emit(figures);
  } finally {
    await stopAll(children);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
