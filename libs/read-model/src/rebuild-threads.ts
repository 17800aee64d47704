import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventStore } from '@signet/event-store';
import type { ProjectionOptions } from './projections';
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

/** What a thread's `open.module` exports: its own event store and read model, closed when it is done. */
export type RebuildStoresOpener = (data: unknown) => Promise<{
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
 * Runs a rebuild's first pass on `threads.count` threads, each folding its part of the people from the start
 * of the log up to `target` into the shadow `generation`; resolves with the events they applied together.
 * A thread that fails or dies, or an abort, terminates them all (their writes end with them) and rejects.
 */
export async function rebuildOnThreads(options: {
  threads: RebuildThreads;
  projection: string;
  generation: number;
  target: bigint;
  batchSize: number;
  signal?: AbortSignal;
  /** The events applied by all threads, and the checkpoint all of them have reached. */
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
  const workers = Array.from({ length: count }, (_, index) =>
    startRebuildThread({
      open: threads.open,
      projectionOptions: threads.projectionOptions,
      projection: options.projection,
      generation: options.generation,
      target: options.target.toString(),
      partition: { count, index },
      batchSize: options.batchSize,
    }),
  );
  let recordedAt = Date.now();
  let recording: Promise<void> = Promise.resolve();
  const total = () => applied.reduce((sum, n) => sum + n, 0);
  try {
    await new Promise<void>((resolve, reject) => {
      const abort = () => reject(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', abort, { once: true });
      const finish = (error?: unknown) => {
        signal?.removeEventListener('abort', abort);
        if (error === undefined) resolve();
        else reject(error);
      };
      workers.forEach((worker, index) => {
        worker.on('message', (message: RebuildThreadMessage) => {
          if ('committed' in message) {
            applied[index] += message.committed;
            reached[index] = BigInt(message.checkpoint);
            options.onProgress(
              total(),
              reached.reduce((low, c) => (c < low ? c : low)),
            );
            if (Date.now() - recordedAt >= RECORD_EVERY_MS) {
              recordedAt = Date.now();
              recording = recording.then(() => options.record(total())).catch(() => {});
            }
          } else if ('done' in message) {
            done[index] = true;
            if (done.every(Boolean)) finish();
          } else {
            finish(Object.assign(new Error(message.failure.message), { name: message.failure.name }));
          }
        });
        worker.on('error', (error) => finish(error));
        worker.on('exit', (code) => {
          if (!done[index])
            finish(new Error(`Rebuild thread ${index + 1} of ${count} stopped (exit ${code})`));
        });
      });
    });
  } finally {
    // Ended, whichever way: nothing of a failed or aborted thread writes once this returns.
    await Promise.all(workers.map((worker) => worker.terminate()));
    await recording;
  }
  return total();
}

/**
 * The store with its commits taken one at a time across the threads sharing `lock` (an Int32Array over a
 * SharedArrayBuffer): threads writing one SQLite file would otherwise meet in SQLite's busy handler, which
 * sleeps for milliseconds at a time; here a thread waits exactly as long as the other's transaction lasts.
 */
export function commitsOneAtATime<S extends Pick<ReadModelStore, 'commit'>>(store: S, lock: Int32Array): S {
  const commit = store.commit.bind(store);
  store.commit = async (...args) => {
    while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1);
    try {
      return await commit(...args);
    } finally {
      Atomics.store(lock, 0, 0);
      Atomics.notify(lock, 0, 1);
    }
  };
  return store;
}
