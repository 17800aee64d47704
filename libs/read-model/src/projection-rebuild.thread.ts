/**
 * A rebuild thread (see rebuild-threads.ts): opens stores of its own, folds its part of the people from the
 * start of the log up to the target into the shadow generation, and reports each commit to the rebuild.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { projectRange } from './projection-rebuild';
import { projectionNamed } from './projections';
import type { RebuildStoresOpener, RebuildThreadData, RebuildThreadMessage } from './rebuild-threads';

async function run(data: RebuildThreadData): Promise<void> {
  const projection = projectionNamed(data.projection, data.projectionOptions);
  if (!projection) throw new Error(`No projection named "${data.projection}"`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openRebuildStores } = require(data.open.module) as { openRebuildStores: RebuildStoresOpener };
  const { eventStore, store, close } = await openRebuildStores(data.open.data);
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
      onCommitted: (checkpoint, events) => progress.committed(checkpoint, events),
    });
    progress.flush();
  } finally {
    await close();
  }
}

/** How often a thread tells the rebuild how far it got (it records progress once a second). */
const SAY_EVERY_MS = 100;

/**
 * The commits told to the rebuild at most every SAY_EVERY_MS, summed (and all of them before `done`): a
 * message per commit cost a thread ≈2 % of its CPU, for progress the rebuild looks at once a second.
 */
const progress = {
  events: 0,
  checkpoint: null as bigint | null,
  saidAt: 0,
  committed(checkpoint: bigint, events: number): void {
    this.events += events;
    this.checkpoint = checkpoint;
    if (performance.now() - this.saidAt >= SAY_EVERY_MS) this.flush();
  },
  flush(): void {
    if (this.checkpoint === null) return;
    say({ committed: this.events, checkpoint: this.checkpoint.toString() });
    this.events = 0;
    this.checkpoint = null;
    this.saidAt = performance.now();
  },
};

function say(message: RebuildThreadMessage): void {
  parentPort!.postMessage(message);
}

run(workerData as RebuildThreadData).then(
  () => say({ done: true }),
  (error: unknown) =>
    say({
      failure:
        error instanceof Error
          ? { name: error.name, message: error.message }
          : { name: 'Error', message: String(error) },
    }),
);
