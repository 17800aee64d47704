import { securityInfoStream } from '@signet/domain';
import { HashChainingEventStore, SqliteEventStore, type EventStore } from '@signet/event-store';
import { rebuildThreadsOf } from '@signet/personal-data';
import { rebuildProjection, securityInfoPageProjection, SqliteReadModelStore } from '@signet/read-model';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { personalDataIn, storesConfigIn, tenEventsOf } from '../fixtures';
import { intFromEnv, ownPeakRssMb } from '../measure';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * Rebuild of the Security info page projection from USERS × 10 events, against a raw read of the same events
 * from the store (the port's readAll with the projection's own filter, no projection): how much of a rebuild
 * is reading, and how much is folding and writing documents. Personal data is sealed as in production
 * (libs/personal-data); a read that opens every event beside the raw one gives the cost of decryption.
 *
 * The store is seeded through the hash-chaining decorator, as production writes (so events carry their
 * `metadata.chain` and are as large as real ones), with 10-event appends, many in flight at once so group
 * commit batches them; synchronous=FULL as by default. Seeding, the raw read and the rebuild each run in a
 * process of their own, so each peak memory figure is that phase's alone.
 */
const USERS = intFromEnv('BENCH_REBUILD_USERS', 100_000);
/** REBUILD_THREADS, as the API and the CLI read it (unset: min(2, the cores available)). */
const THREADS = intFromEnv('REBUILD_THREADS', Math.min(2, availableParallelism()));
const IN_FLIGHT = 1000;

interface PhaseResult {
  events: number;
  seconds: number;
  peakRssMb: number;
  /** The process's CPU time (every thread's), user + system. */
  cpuSeconds: number;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function seed(dir: string): Promise<PhaseResult> {
  // Sealed as production writes: numbers, client addresses and user agents under each user's key.
  const store: EventStore = personalDataIn(dir).sealing(
    new HashChainingEventStore(new SqliteEventStore({ filename: join(dir, 'events.sqlite') })),
    { closesKeys: true },
  );
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let n = next++; n < USERS; n = next++) {
        const userId = `user-${n}`;
        await store.appendToStream(securityInfoStream(userId), tenEventsOf(userId, n), {
          expectedRevision: 'no_stream',
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return { events: USERS * 10, seconds, peakRssMb: ownPeakRssMb(), cpuSeconds: cpuSeconds() };
}

async function rawRead(dir: string): Promise<PhaseResult> {
  return timedReadAll(new SqliteEventStore({ filename: join(dir, 'events.sqlite') }));
}

/** The same read, each event opened at the personal-data seal (a key per user, cached): the cost of decryption. */
async function openedRead(dir: string): Promise<PhaseResult> {
  return timedReadAll(
    personalDataIn(dir).sealing(new SqliteEventStore({ filename: join(dir, 'events.sqlite') }), {
      closesKeys: true,
    }),
  );
}

/** Reads every event the projection reads once, with the projection's own filter; closes the store. */
async function timedReadAll(store: EventStore): Promise<PhaseResult> {
  const { streamPrefixes } = securityInfoPageProjection;
  const started = performance.now();
  const cpuAtStart = cpuSeconds();
  let events = 0;
  for await (const event of store.readAll({ filter: { streamPrefixes } })) {
    if (event.position > 0n) events += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuAtStart;
  await store.close();
  return { events, seconds, peakRssMb: ownPeakRssMb(), cpuSeconds: cpu };
}

async function rebuild(dir: string): Promise<PhaseResult> {
  // As the API rebuilds: events opened, documents sealed under each user's key.
  const personalData = personalDataIn(dir);
  const eventStore = personalData.sealing(
    new HashChainingEventStore(new SqliteEventStore({ filename: join(dir, 'events.sqlite') })),
    { closesKeys: true },
  );
  const store = personalData.sealingReadModel(
    new SqliteReadModelStore({ filename: join(dir, 'read-model.sqlite') }),
  );
  const started = performance.now();
  const cpuAtStart = cpuSeconds();
  const result = await rebuildProjection({
    projection: securityInfoPageProjection,
    eventStore,
    store,
    threads: rebuildThreadsOf(storesConfigIn(dir, THREADS)),
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuAtStart;
  if ((await store.live(securityInfoPageProjection.name))?.generation !== result.generation)
    throw new Error('the rebuilt generation is not live');
  await store.close();
  await eventStore.close();
  return { events: result.processedEvents, seconds, peakRssMb: ownPeakRssMb(), cpuSeconds: cpu };
}

const PHASES: Record<string, (dir: string) => Promise<PhaseResult>> = { seed, rawRead, openedRead, rebuild };

function runPhase(phase: string, dir: string): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const prof = process.env.BENCH_CPU_PROF;
    const flags = prof && phase !== 'seed' ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
    const child = spawn(process.execPath, [...flags, __filename, phase, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith('PHASE '));
      if (code !== 0 || !line)
        return reject(new Error(`rebuild phase ${phase} failed (exit ${code}):\n${output}`));
      resolve(JSON.parse(line.slice('PHASE '.length)) as PhaseResult);
    });
  });
}

async function main(): Promise<void> {
  // BENCH_CPU_PROF=<dir>: profiles the raw read and the rebuild.
  const [phase, phaseDir] = process.argv.slice(2);
  if (phase) {
    const result = await PHASES[phase](phaseDir);
    process.stdout.write(`PHASE ${JSON.stringify(result)}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-rebuild-'));
  try {
    const seeded = await runPhase('seed', dir);
    const raw = await runPhase('rawRead', dir);
    const opened = await runPhase('openedRead', dir);
    const rebuilt = await runPhase('rebuild', dir);
    if (raw.events !== seeded.events || rebuilt.events !== seeded.events || opened.events !== seeded.events)
      throw new Error(`seeded ${seeded.events}, read ${raw.events}, rebuilt from ${rebuilt.events}`);
    const rawRate = raw.events / raw.seconds;
    const openedRate = opened.events / opened.seconds;
    const rate = rebuilt.events / rebuilt.seconds;
    const figures: Figure[] = [
      {
        part: 'rebuild',
        figure: `rebuild, ${USERS.toLocaleString('en-US')} users × 10 events (${THREADS} thread${THREADS === 1 ? '' : 's'})`,
        value: rate,
        unit: 'events/s',
        ceiling: { label: 'raw readAll of the same events', value: rawRate },
        target: '≥ 100k events/s and ≥ 0.5×',
        met: rate >= 100_000 && rate / rawRate >= 0.5,
        peakRssMb: rebuilt.peakRssMb,
        note:
          `${rebuilt.seconds.toFixed(1)} s, ${rebuilt.cpuSeconds.toFixed(1)} s CPU on ${THREADS} thread(s); ` +
          `raw read ${raw.seconds.toFixed(1)} s, ${raw.cpuSeconds.toFixed(1)} s CPU on one, peak ${Math.round(raw.peakRssMb)} MB; ` +
          `seeded at ${Math.round(seeded.events / seeded.seconds).toLocaleString('en-US')} events/s`,
      },
      {
        part: 'rebuild',
        figure: 'readAll with personal data opened (AES-256-GCM, a key per user)',
        value: openedRate,
        unit: 'events/s',
        ceiling: { label: 'raw readAll of the same (sealed) events', value: rawRate },
        target: 'the cost of decryption (no target of its own)',
        met: true,
        peakRssMb: opened.peakRssMb,
        note:
          `${opened.seconds.toFixed(1)} s against ${raw.seconds.toFixed(1)} s raw: ` +
          `${((1 / openedRate - 1 / rawRate) * 1e6).toFixed(2)} µs per event to open`,
      },
      {
        part: 'rebuild',
        figure: 'rebuild peak RSS',
        value: rebuilt.peakRssMb,
        unit: 'MB',
        target: '< 300 MB',
        met: rebuilt.peakRssMb < 300,
        peakRssMb: rebuilt.peakRssMb,
      },
    ];
    emit(figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
