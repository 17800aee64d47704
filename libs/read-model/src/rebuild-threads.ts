import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';
import type { EventStore } from '@signet/event-store';
import { projectRange } from './project-events';
import { projectionNamed, type ProjectionOptions } from './projections';
import type { ReadModelStore } from './read-model.port';

/**
 * How a rebuild is split across threads: how many, and how each opens stores of its own. `open.module` is the
 * absolute path of a module exporting `openRebuildStores(open.data)` (see RebuildStoresOpener); `open.data`
 * crosses to the thread by structured clone (secrets included: it is never logged).
 */
export interface RebuildThreads {
  count: number;
  open: { module: string; data: unknown };
  /** The options the projections are built with (a thread finds its projection by name). */
  projectionOptions?: ProjectionOptions;
}

/**
 * What a thread's `open.module` exports: its own event store and read model, closed when it is done. `stop`
 * is aborted when the rebuild ends its part early (the part on the rebuild's own thread).
 */
export type RebuildStoresOpener = (
  data: unknown,
  stop?: AbortSignal,
) => Promise<{
  eventStore: EventStore;
  store: ReadModelStore;
  close(): Promise<void>;
}>;

/** What a rebuild thread is given. */
export interface RebuildThreadData {
  open: RebuildThreads['open'];
  projectionOptions?: ProjectionOptions;
  projection: string;
  generation: number;
  target: string;
  partition: { count: number; index: number };
  batchSize: number;
}

/** What a rebuild thread says: after each commit, once done, or why it failed. */
export type RebuildThreadMessage =
  { committed: number; checkpoint: string } | { done: true } | { failure: { name: string; message: string } };

/** The compiled thread entry, beside this file in dist/. */
const THREAD_ENTRY = join(__dirname, 'projection-rebuild.thread.js');

/**
 * A thread's heap, bounded: with no limit of its own a thread grows its old generation as if it had the
 * machine's memory to itself (peak RSS at 1M events: 320–340 MB with two threads, 275–283 MB with a limit of
 * 64–256 MB, no slower). A thread folds one batch at a time and needs far less than this.
 */
const resourceLimits = { maxOldGenerationSizeMb: 256 };

function startRebuildThread(workerData: RebuildThreadData): Worker {
  if (existsSync(THREAD_ENTRY)) return new Worker(THREAD_ENTRY, { workerData, resourceLimits });
  // From the TypeScript sources (the tests, under ts-jest): compiled on the fly in the thread, as the tests'
  // child processes are (register-ts.js maps `@signet/<lib>` to the sources).
  const register = join(__dirname, '..', '..', 'event-store', 'src', 'sqlite', 'testing', 'register-ts.js');
  const entry = join(__dirname, 'projection-rebuild.thread.ts');
  return new Worker(`require(${JSON.stringify(register)}); require(${JSON.stringify(entry)});`, {
    eval: true,
    workerData,
    resourceLimits,
  });
}

/** How often the threads' summed progress is recorded with the shadow (for `projections status`). */
const RECORD_EVERY_MS = 1000;

/**
 * Folds one part of the people from the start of the log up to the target into the shadow generation, with
 * stores of its own opened as `data.open` says: a rebuild thread's whole work, and the rebuild's own share.
 */
export async function foldPart(
  data: RebuildThreadData,
  onCommitted: (checkpoint: bigint, events: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const projection = projectionNamed(data.projection, data.projectionOptions);
  if (!projection) throw new Error(`No projection named "${data.projection}"`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openRebuildStores } = require(data.open.module) as { openRebuildStores: RebuildStoresOpener };
  const { eventStore, store, close } = await openRebuildStores(data.open.data, signal);
  try {
    await projectRange({
      projection,
      eventStore,
      store,
      generation: data.generation,
      from: 0n,
      to: BigInt(data.target),
      batchSize: data.batchSize,
      partition: data.partition,
      signal,
      onCommitted,
    });
  } finally {
    await close();
  }
}

/**
 * Runs a rebuild's first pass split in `threads.count` parts of the people, each folded from the start of the
 * log up to `target` into the shadow `generation`: part 0 on the calling thread, the others on worker threads;
 * resolves with the events they applied together. A part that fails, a thread that dies, or an abort ends
 * them all (their writes end with them) and rejects.
 */
export async function rebuildOnThreads(options: {
  threads: RebuildThreads;
  projection: string;
  generation: number;
  target: bigint;
  batchSize: number;
  signal?: AbortSignal;
  /** The events applied by all parts, and the checkpoint all of them have reached. */
  onProgress: (events: number, checkpoint: bigint) => void;
  /** Records the summed progress with the shadow. */
  record: (events: number) => Promise<void>;
}): Promise<number> {
  const { threads, signal } = options;
  signal?.throwIfAborted();
  const count = threads.count;
  const applied = new Array<number>(count).fill(0);
  const reached = new Array<bigint>(count).fill(0n);
  const done = new Array<boolean>(count).fill(false);
  const part = (index: number): RebuildThreadData => ({
    open: threads.open,
    projectionOptions: threads.projectionOptions,
    projection: options.projection,
    generation: options.generation,
    target: options.target.toString(),
    partition: { count, index },
    batchSize: options.batchSize,
  });
  // The calling thread folds part 0 itself rather than wait: one thread fewer to start (an isolate and the
  // stores' code, ≈0.4 s of CPU each), and with as many parts as cores, no core left to a thread that waits.
  const workers = Array.from({ length: count - 1 }, (_, n) => startRebuildThread(part(n + 1)));
  const stopOwnPart = new AbortController();
  let ownPart: Promise<void> = Promise.resolve();
  let recordedAt = Date.now();
  let recording: Promise<void> = Promise.resolve();
  const total = () => applied.reduce((sum, n) => sum + n, 0);
  const committed = (index: number, events: number, checkpoint: bigint) => {
    applied[index] += events;
    reached[index] = checkpoint;
    options.onProgress(
      total(),
      reached.reduce((low, c) => (c < low ? c : low)),
    );
    if (Date.now() - recordedAt >= RECORD_EVERY_MS) {
      recordedAt = Date.now();
      recording = recording.then(() => options.record(total())).catch(() => {});
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const abort = () => reject(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', abort, { once: true });
      const finish = (error?: unknown) => {
        signal?.removeEventListener('abort', abort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const partDone = (index: number) => {
        done[index] = true;
        if (done.every(Boolean)) finish();
      };
      ownPart = foldPart(
        part(0),
        (checkpoint, events) => committed(0, events, checkpoint),
        stopOwnPart.signal,
      );
      ownPart.then(() => partDone(0), finish);
      workers.forEach((worker, n) => {
        const index = n + 1;
        worker.on('message', (message: RebuildThreadMessage) => {
          if ('committed' in message) committed(index, message.committed, BigInt(message.checkpoint));
          else if ('done' in message) partDone(index);
          else finish(Object.assign(new Error(message.failure.message), { name: message.failure.name }));
        });
        worker.on('error', (error) => finish(error));
        worker.on('exit', (code) => {
          if (!done[index])
            finish(new Error(`Rebuild thread ${index + 1} of ${count} stopped (exit ${code})`));
        });
      });
    });
  } finally {
    // Ended, whichever way: nothing of a failed or aborted part writes once this returns (the calling
    // thread's own part stops at its next batch, its write in flight landed).
    stopOwnPart.abort();
    await Promise.all([ownPart.catch(() => {}), ...workers.map((worker) => worker.terminate())]);
    await recording;
  }
  return total();
}

/**
 * The store with its commits taken one at a time across the threads sharing `lock` (an Int32Array over a
 * SharedArrayBuffer): threads writing one SQLite file would otherwise meet in SQLite's busy handler, which
 * sleeps for milliseconds at a time; here a thread waits exactly as long as the other's transaction lasts.
 * A worker thread waits blocked (terminating it wakes it); the rebuild's own thread waits without blocking,
 * so that it still hears of a thread that died, even one that died holding the lock, and gives up when
 * `stop` is aborted.
 */
export function commitsOneAtATime<S extends Pick<ReadModelStore, 'commit'>>(
  store: S,
  lock: Int32Array,
  stop?: AbortSignal,
): S {
  const commit = store.commit.bind(store);
  store.commit = async (...args) => {
    while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) {
      if (!isMainThread) {
        Atomics.wait(lock, 0, 1);
        continue;
      }
      stop?.throwIfAborted();
      await waitAsync(lock, 0, 1, MAIN_THREAD_WAIT_MS).value;
    }
    try {
      return await commit(...args);
    } finally {
      Atomics.store(lock, 0, 0);
      Atomics.notify(lock, 0, 1);
    }
  };
  return store;
}

/** How long the rebuild's own thread waits for the lock before it looks at `stop` again. */
const MAIN_THREAD_WAIT_MS = 100;

/** Atomics.waitAsync (Node ≥ 16), which this TypeScript's lib does not declare yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { value: Promise<string> | string };
  }
).waitAsync;
