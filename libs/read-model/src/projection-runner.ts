import type { EventStore, RecordedEvent, Subscription } from '@signet/event-store';
import type { Projection } from './projection';
import { projectBatch } from './project-events';
import { SupersededGenerationError, type ReadModelStore } from './read-model.port';

export interface ProjectionRunnerOptions<Body> {
  projection: Projection<Body>;
  eventStore: EventStore;
  store: ReadModelStore;
  /** Most events per commit while catching up; live events are committed as soon as none is waiting. */
  batchSize?: number;
  /** How often a faulted runner looks whether it was resumed or rebuilt, and how long it waits after an error. */
  recheckMs?: number;
  logger?: { log(message: string): void; warn(message: string): void; error(message: string): void };
  /**
   * With several processes on one store: run only while holding the store's lease `projection:<name>` as
   * `owner`, renewed every third of `ttlMs`; on standby otherwise, taking over once the holder's lease expires.
   */
  lease?: { owner: string; ttlMs: number };
  /** The clock the lease's validity is judged by; the system clock unless told (tests move their own). */
  now?: () => Date;
}

/** `standby`: another process holds the projection's lease and runs it. */
export type RunnerState = 'stopped' | 'running' | 'faulted' | 'standby';

/** The lease ran out (or could not be renewed): stop projecting at once, another process may take over. */
class LeaseLostError extends Error {}

const NEXT_TURN = Symbol('nextTurn');

/**
 * Keeps a projection's live generation following the event log: subscribes from its checkpoint, projects
 * what arrives in batches and commits each batch with the checkpoint it reaches.
 *
 * - Restart: resumes from the committed checkpoint; the revision guard makes a re-delivered event a no-op.
 * - Fault: an event the projection cannot handle stops it, recorded with the event's position and the error.
 *   A new start (fixed code), a resume (the fault cleared by an operator) or a rebuild's swap retries it.
 * - Swap: when a rebuild swaps in a new generation, the next read or write here notices and the runner
 *   carries on from the new generation's checkpoint.
 */
export class ProjectionRunner<Body = unknown> {
  private readonly projection: Projection<Body>;
  private readonly eventStore: EventStore;
  private readonly store: ReadModelStore;
  private readonly batchSize: number;
  private readonly recheckMs: number;
  private readonly logger: NonNullable<ProjectionRunnerOptions<Body>['logger']>;
  private readonly now: () => Date;

  private current: RunnerState = 'stopped';
  private loop: Promise<void> | undefined;
  private stopping = false;
  private subscription: Subscription | undefined;
  private wakeRecheck: (() => void) | undefined;
  private commitWaiters: Array<() => void> = [];
  private versionWarned = false;
  private readonly lease: { name: string; owner: string; ttlMs: number } | undefined;
  /** Until when (by this process's clock, with a margin) the lease is surely ours; 0 when not held. */
  private leaseValidUntil = 0;
  private leaseTimer: NodeJS.Timeout | undefined;

  constructor(options: ProjectionRunnerOptions<Body>) {
    this.projection = options.projection;
    this.eventStore = options.eventStore;
    this.store = options.store;
    this.batchSize = options.batchSize ?? 500;
    this.recheckMs = options.recheckMs ?? 1000;
    this.logger = options.logger ?? { log: () => undefined, warn: () => undefined, error: () => undefined };
    this.lease = options.lease && { name: `projection:${this.projection.name}`, ...options.lease };
    this.now = options.now ?? (() => new Date());
  }

  get name(): string {
    return this.projection.name;
  }

  get state(): RunnerState {
    return this.current;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    if (this.lease) {
      this.leaseTimer = setInterval(() => void this.renewLease(), Math.max(this.lease.ttlMs / 3, 10));
      this.leaseTimer.unref();
    }
    this.loop = this.run();
  }

  /** Stops after the batch in hand is committed (or abandoned if the store is closing). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeRecheck?.();
    await this.subscription?.close();
    await this.loop;
    this.loop = undefined;
    clearInterval(this.leaseTimer);
    if (this.lease && this.leaseValidUntil > 0) {
      this.leaseValidUntil = 0;
      // Hand over at once rather than after the lease expires.
      await this.store.releaseLease(this.lease.name, this.lease.owner).catch(() => undefined);
    }
    this.current = 'stopped';
  }

  /** Settles at the next commit (or on stop): lets a reader wait for the model to move without polling hard. */
  nextCommit(): Promise<void> {
    return new Promise((resolve) => this.commitWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    // A start retries a recorded fault: the code may have been fixed since.
    let retryFault = true;
    while (!this.stopping) {
      try {
        if (this.lease && !(await this.takeLease())) {
          this.current = 'standby';
          await this.recheck(Math.max(this.lease.ttlMs / 3, 10));
          continue;
        }
        const live = await this.store.ensureLive(this.projection.name, this.projection.version);
        this.warnOnVersion(live.version);
        if (live.fault) {
          if (!retryFault) {
            this.current = 'faulted';
            await this.recheck();
            continue;
          }
          await this.store.clearFault(this.projection.name, live.generation);
        }
        retryFault = false;
        if (this.current !== 'running') {
          // Which process runs which projection, for operators: the lease's owner names host and pid.
          this.logger.log(
            `${this.projection.name}: following the log from position ${live.checkpoint}` +
              (this.lease ? ` (lease held by ${this.lease.owner})` : ''),
          );
        }
        this.current = 'running';
        const outcome = await this.follow(live.generation, live.checkpoint);
        if (outcome === 'superseded') {
          this.logger.log(`${this.projection.name}: a rebuild swapped in a new generation; following it`);
        }
        if (outcome === 'leaseLost') {
          this.logger.warn(`${this.projection.name}: lost the lease; another process may run it now`);
        }
      } catch (error) {
        if (this.stopping) break;
        this.logger.error(`${this.projection.name}: ${(error as Error).stack ?? String(error)}`);
        await this.recheck();
      }
    }
    this.releaseCommitWaiters();
  }

  /** Follows the log into one generation until stopped, faulted or swapped out. */
  private async follow(
    generation: number,
    checkpoint: bigint,
  ): Promise<'stopped' | 'faulted' | 'superseded' | 'leaseLost'> {
    const subscription = this.eventStore.subscribeToAll({
      fromPosition: checkpoint,
      filter: { streamPrefixes: this.projection.streamPrefixes },
    });
    this.subscription = subscription;
    if (this.stopping) {
      // stop() came while the lease or the generation was being looked up: it closed no subscription yet.
      await subscription.close();
      this.subscription = undefined;
      return 'stopped';
    }
    const events = subscription[Symbol.asyncIterator]();
    let batch: RecordedEvent[] = [];
    const flush = async (): Promise<boolean> => {
      if (batch.length === 0) return true;
      // Never write without the lease: another process may be projecting these very events.
      if (this.lease && this.now().getTime() >= this.leaseValidUntil) throw new LeaseLostError();
      const last = batch[batch.length - 1].position;
      const outcome = await projectBatch(this.projection, this.store, generation, batch, last);
      batch = [];
      this.releaseCommitWaiters();
      if (!outcome.fault) {
        // A backlog is read and written synchronously: let requests in between batches.
        await new Promise((resolve) => setImmediate(resolve));
        return true;
      }
      this.current = 'faulted';
      this.logger.error(
        `${this.projection.name} is faulted at position ${outcome.fault.position} ` +
          `(${outcome.fault.eventType} on ${outcome.fault.streamId}): ${outcome.fault.error}`,
      );
      return false;
    };
    try {
      const pull = () => {
        const next = events.next();
        // Settled by close() when we leave early; a rejection then must not go unhandled.
        next.catch(() => undefined);
        return next;
      };
      let pending = pull();
      for (;;) {
        // While events are already waiting, keep filling the batch; commit as soon as none is.
        const next =
          batch.length === 0
            ? await pending
            : await Promise.race([pending, new Promise<typeof NEXT_TURN>((r) => setImmediate(r, NEXT_TURN))]);
        if (next === NEXT_TURN) {
          if (!(await flush())) return 'faulted';
          continue;
        }
        if (next.done) {
          return (await flush()) ? 'stopped' : 'faulted';
        }
        batch.push(next.value);
        if (batch.length >= this.batchSize && !(await flush())) return 'faulted';
        if (this.stopping) return (await flush()) ? 'stopped' : 'faulted';
        pending = pull();
      }
    } catch (error) {
      if (error instanceof SupersededGenerationError) return 'superseded';
      if (error instanceof LeaseLostError) return 'leaseLost';
      throw error;
    } finally {
      await subscription.close();
      this.subscription = undefined;
    }
  }

  /** Takes or renews the lease; true while it is ours. */
  private async takeLease(): Promise<boolean> {
    const lease = this.lease!;
    const askedAt = this.now().getTime();
    let held = false;
    try {
      held = await this.store.acquireLease(lease.name, lease.owner, lease.ttlMs);
    } catch (error) {
      this.logger.warn(`${this.projection.name}: cannot renew the lease: ${(error as Error).message}`);
    }
    if (this.stopping && !held) return false;
    // A margin of a fifth of the lease for clock drift between processes and the store's round trip.
    this.leaseValidUntil = held ? askedAt + lease.ttlMs - lease.ttlMs / 5 : 0;
    return held;
  }

  /** Every third of the lease while it is held; losing it ends the subscription, so the runner stops at once. */
  private async renewLease(): Promise<void> {
    if (this.leaseValidUntil === 0 || this.stopping) return;
    if (!(await this.takeLease())) void this.subscription?.close();
  }

  /** Waits `recheckMs` (or `ms`), or less if stopped. */
  private recheck(ms = this.recheckMs): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeRecheck = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private releaseCommitWaiters(): void {
    const waiters = this.commitWaiters;
    this.commitWaiters = [];
    for (const wake of waiters) wake();
  }

  private warnOnVersion(stored: number): void {
    if (stored === this.projection.version || this.versionWarned) return;
    this.versionWarned = true;
    this.logger.warn(
      `${this.projection.name}: the live model was built by version ${stored}, this code is version ` +
        `${this.projection.version}; run "projections rebuild ${this.projection.name}"`,
    );
  }
}
