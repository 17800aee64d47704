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
import { send, startApi, startWorker, stopAll } from '../http-client';
import { intFromEnv, peakRssMbOf, percentile } from '../measure';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * Audit `asOf` on one user's stream of EVENTS events, through the HTTP API as an auditor would ask it:
 * `GET /v1/audit/users/{userId}/security-info?asOf=` with an instant past the last event (the whole stream) and
 * one half-way through, and a first look at each of FIRST_LOOKS other such users (past the end), and at
 * FIRST_LOOKS more (half-way through). The streams are written through the personal-data seal and the hash
 * chain, as production writes them. Each request also records the read in the access log (an fsynced append),
 * as always.
 * The snapshots are written as production writes them: the worker's `asOfSnapshots` projection catches up over
 * the seeded log (timed) before anyone looks; AS_OF_SNAPSHOT_EVERY is passed on (0: none, the run before them).
 * For comparison, the same replay called in-process on the audit library (no HTTP, no access log, no snapshot).
 */
const EVENTS = intFromEnv('BENCH_AUDIT_EVENTS', 10_000);
const REQUESTS = intFromEnv('BENCH_AUDIT_REQUESTS', 30);
/** Users with a stream as long, each asked once: an auditor's first look at a person (no fold in memory). */
const FIRST_LOOKS = intFromEnv('BENCH_AUDIT_FIRST_LOOKS', 7);
/** Passed on to the API; the configuration's default when unset. */
const SNAPSHOT_EVERY = process.env.AS_OF_SNAPSHOT_EVERY ?? '500';
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
    const halfWayStrangers = Array.from({ length: FIRST_LOOKS }, (_, i) => `first-look-half-way-${i}`);
    for (const user of [USER, ...strangers, ...halfWayStrangers]) {
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

    const env = { DATA_DIR: dataDir, JWT_SECRET, AS_OF_SNAPSHOT_EVERY: SNAPSHOT_EVERY, ...BENCH_SECRETS };
    const api = await startApi(env);
    children.push(api.child);
    children.push(await startWorker(env));
    const jwt = { mode: 'secret' as const, secret: new TextEncoder().encode(JWT_SECRET) };
    const token = await issueToken(jwt, { subject: 'auditor-1', roles: ['auditor'], ttlSeconds: 3600 });
    const operator = await issueToken(jwt, { subject: 'operator-1', roles: ['operator'], ttlSeconds: 3600 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // Production writes the snapshots in the worker's projection runner, following the log: it catches up over
    // the seeded streams here (the API's page projection doing the same beside it) before anyone looks.
    const catchUp = await caughtUp(agent, api.port, operator, 'asOfSnapshots');
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
    const halfWayLooks: number[] = [];
    for (const user of halfWayStrangers) halfWayLooks.push(await ask(user, middle));
    halfWayLooks.sort((a, b) => a - b);
    agent.destroy();
    const apiRss = peakRssMbOf(api.child.pid!);
    // The API keeps the fold of a history it replayed (AsOfSnapshots): the whole-stream answers after the first
    // continue from it; the half-way ones (earlier than that fold) start from the stored snapshot before them
    // (from the start without snapshots); the in-process library call below has no snapshots at all.
    const snapshotsNote = `AS_OF_SNAPSHOT_EVERY=${SNAPSHOT_EVERY}`;
    const figures: Figure[] = [
      {
        part: 'audit',
        figure: `asOf over HTTP, first look at a ${EVENTS.toLocaleString('en-US')}-event stream (p50 of ${FIRST_LOOKS} users)`,
        value: percentile(firstLooks, 50),
        unit: 'ms',
        target: '< 50 ms',
        met: percentile(firstLooks, 50) < 50,
        note: `max ${firstLooks[firstLooks.length - 1].toFixed(1)} ms; ${snapshotsNote}`,
      },
      {
        part: 'audit',
        figure: `asOf over HTTP, first look half-way through a ${EVENTS.toLocaleString('en-US')}-event stream (p50 of ${FIRST_LOOKS} users)`,
        value: percentile(halfWayLooks, 50),
        unit: 'ms',
        target: '< 50 ms',
        met: percentile(halfWayLooks, 50) < 50,
        note: `max ${halfWayLooks[halfWayLooks.length - 1].toFixed(1)} ms; ${snapshotsNote}`,
      },
      {
        part: 'audit',
        figure: `asOfSnapshots projection catching up over ${(EVENTS * (1 + 2 * FIRST_LOOKS)).toLocaleString('en-US')} seeded events`,
        value: catchUp.eventsPerSecond,
        unit: 'events/s',
        target: '—',
        note: `${(catchUp.ms / 1000).toFixed(1)} s from the worker's start, in the worker; ${snapshotsNote}`,
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
        figure: `asOf over HTTP, half-way, repeated (earlier than the fold in memory) (p50)`,
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

/** Waits until the API's projection has caught up with the log; how long it took (to within a second). */
async function caughtUp(
  agent: Agent,
  port: number,
  token: string,
  projection: string,
): Promise<{ ms: number; eventsPerSecond: number }> {
  const started = performance.now();
  for (;;) {
    const reply = await send(agent, port, 'GET', '/v1/admin/projections', token);
    const status = (
      reply.body as { projections: { name: string; state: string; checkpoint: string }[] }
    ).projections.find((p) => p.name === projection);
    if (!status) throw new Error(`No projection ${projection}: ${JSON.stringify(reply.body)}`);
    if (status.state === 'caughtUp') {
      const ms = performance.now() - started;
      return { ms, eventsPerSecond: Number(status.checkpoint) / (ms / 1000) };
    }
    if (status.state === 'faulted') throw new Error(`${projection} faulted: ${JSON.stringify(status)}`);
    // Not more often: each status counts the lag by reading the log past the checkpoint.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

void main();
