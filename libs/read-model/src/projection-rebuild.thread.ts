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
      onCommitted: (checkpoint, events) => say({ committed: events, checkpoint: checkpoint.toString() }),
    });
  } finally {
    await close();
  }
}

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
