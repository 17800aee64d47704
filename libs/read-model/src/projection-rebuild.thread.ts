/**
 * A rebuild thread (see rebuild-threads.ts): folds its part of the people into the shadow generation with
 * stores of its own, and reports each commit to the rebuild.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { foldPart, type RebuildThreadData, type RebuildThreadMessage } from './rebuild-threads';

function say(message: RebuildThreadMessage): void {
  parentPort!.postMessage(message);
}

foldPart(workerData as RebuildThreadData, (checkpoint, events) =>
  say({ committed: events, checkpoint: checkpoint.toString() }),
).then(
  () => say({ done: true }),
  (error: unknown) =>
    say({
      failure:
        error instanceof Error
          ? { name: error.name, message: error.message }
          : { name: 'Error', message: String(error) },
    }),
);
