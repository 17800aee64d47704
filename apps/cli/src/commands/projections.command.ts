import { parseArgs } from 'node:util';
import { loadConfig } from '@signet/config';
import type { EventStore } from '@signet/event-store';
import { rebuildThreadsOf } from '@signet/personal-data';
import {
  projectionNamed,
  PROJECTIONS,
  projectionStatuses,
  rebuildProjection,
  type Projection,
  type ProjectionStatus,
  type ReadModelStore,
  type RebuildTick,
} from '@signet/read-model';
import { UsageError, type CliCommand } from '../cli-command';
import { withStores } from '../stores';

export const projectionsCommand: CliCommand = {
  name: 'projections',
  usage: `projections status [--json]
      Each projection's version, checkpoint, head position, lag (events, seconds) and state.
      Exits 1 when a projection is faulted.
  projections rebuild <name> [--quiet]
      Rebuild from position 0 into a shadow copy while the live one serves, report drift, swap atomically.
      Ctrl-C leaves the live copy untouched; run it again to start over.
  projections resume <name>
      Clear a projection's fault so the running API retries the event it stopped at.`,
  async run(args) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false } },
    });
    const [action, name, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`Unexpected arguments: ${rest.join(' ')}`);
    if (action === 'status') {
      if (name) throw new UsageError('projections status takes no name');
      return withStores((eventStore, store) => status(eventStore, store, values.json));
    }
    if (action === 'rebuild' || action === 'resume') {
      if (!name) throw new UsageError(`projections ${action} needs a <name>: ${names()}`);
      const projection = projectionNamed(name, loadConfig().readModel);
      if (!projection) throw new UsageError(`No projection named "${name}". Projections: ${names()}`);
      return withStores((eventStore, store) =>
        action === 'rebuild'
          ? rebuild(projection, eventStore, store, values.quiet)
          : resume(projection, store),
      );
    }
    throw new UsageError('projections needs one of: status, rebuild <name>, resume <name>');
  },
};

function names(): string {
  return PROJECTIONS.map((p) => p.name).join(', ');
}

async function status(eventStore: EventStore, store: ReadModelStore, json: boolean): Promise<string> {
  const statuses = await projectionStatuses(PROJECTIONS, eventStore, store);
  const output = json
    ? JSON.stringify({ projections: statuses }, null, 2)
    : statuses.map(describe).join('\n');
  const faulted = statuses.filter((s) => s.state === 'faulted');
  if (faulted.length === 0) return output;
  // The report still goes to stdout; the exit code tells a script something needs an operator.
  process.stdout.write(`${output}\n`);
  throw new Error(`Faulted: ${faulted.map((s) => s.name).join(', ')}`);
}

function describe(s: ProjectionStatus): string {
  const lines = [
    `${s.name}  ${s.state}`,
    `  version      ${s.version}${s.liveVersion !== null && s.liveVersion !== s.version ? ` (live copy built by ${s.liveVersion}: rebuild it)` : ''}`,
    `  generation   ${s.generation ?? '-'}`,
    `  checkpoint   ${s.checkpoint}`,
    `  head         ${s.headPosition}`,
    `  lag          ${s.lagEvents}${s.lagEventsCapped ? '+' : ''} events, ${s.lagSeconds.toFixed(1)} s`,
  ];
  if (s.fault) {
    lines.push(
      `  fault        at position ${s.fault.position}: ${s.fault.eventType} on ${s.fault.streamId}`,
      `               ${s.fault.error}`,
    );
  }
  if (s.rebuild) {
    lines.push(
      `  rebuilding   generation ${s.rebuild.generation}: ${s.rebuild.processedEvents} events, ` +
        `checkpoint ${s.rebuild.checkpoint} of ${s.rebuild.targetPosition}`,
    );
  }
  return lines.join('\n');
}

async function rebuild(
  projection: Projection,
  eventStore: EventStore,
  store: ReadModelStore,
  quiet: boolean,
): Promise<string> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const bar = new ProgressBar(projection.name, quiet);
  try {
    const result = await rebuildProjection({
      projection,
      eventStore,
      store,
      batchSize: loadConfig().readModel.batchSize,
      threads: rebuildThreadsOf(loadConfig()),
      signal: controller.signal,
      onProgress: (tick) => bar.update(tick),
    });
    bar.done();
    const drift = result.drift;
    const lines = [
      `${projection.name}: generation ${result.generation} is live from position ${result.position} ` +
        `(${result.processedEvents} events).`,
      drift === null
        ? 'Drift: nothing was live to compare with.'
        : drift.documents === 0
          ? `Drift: none (compared at position ${drift.position}).`
          : `Drift: ${drift.documents} document(s) differed at position ${drift.position} and are now rebuilt: ` +
            drift.sampleKeys.join(', ') +
            (drift.documents > drift.sampleKeys.length ? ', …' : ''),
    ];
    return lines.join('\n');
  } catch (error) {
    bar.done();
    if (controller.signal.aborted) {
      throw new Error('Rebuild interrupted: the live copy is untouched. Run it again to start over.');
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
  }
}

async function resume(projection: Projection, store: ReadModelStore): Promise<string> {
  const live = await store.live(projection.name);
  if (!live?.fault) return `${projection.name} is not faulted.`;
  await store.clearFault(projection.name, live.generation);
  return (
    `${projection.name}: fault at position ${live.fault.position} cleared; ` +
    'the running API retries that event within a second (and faults again if it still cannot handle it).'
  );
}

/** A progress line on stderr: redrawn in place on a terminal, one line per tenth otherwise. */
class ProgressBar {
  private lastDraw = 0;
  private lastTenth = -1;
  private drawn = false;

  constructor(
    private readonly name: string,
    private readonly quiet: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(tick: RebuildTick): void {
    if (this.quiet) return;
    const target = Number(tick.targetPosition);
    const fraction = target > 0 ? Math.min(Number(tick.checkpoint) / target, 1) : 1;
    const line =
      `Rebuilding ${this.name} [${bar(fraction, 24)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ` +
      `${tick.processedEvents} events  ${Math.round(tick.eventsPerSecond)} ev/s  ` +
      `ETA ${tick.etaSeconds === null ? '?' : `${Math.ceil(tick.etaSeconds)}s`}`;
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && fraction < 1) return;
      this.lastDraw = now;
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth === this.lastTenth) return;
      this.lastTenth = tenth;
      this.out.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

function bar(fraction: number, width: number): string {
  const full = Math.round(fraction * width);
  return '#'.repeat(full) + '-'.repeat(width - full);
}
