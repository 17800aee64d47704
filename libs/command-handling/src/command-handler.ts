import { recordedEventsOf, type Decider } from '@signet/domain';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
} from '@signet/event-store';
import retry from 'async-retry';
import { StreamStates, type StateAt } from './stream-states';

/** What one command did to its stream. */
export interface CommandResult<State, Event> {
  /** What the command recorded (empty when it changed nothing). */
  newEvents: Event[];
  /** The state after the command. */
  newState: State;
  /** The written stream's revision after the command; null while it has no events. */
  revision: bigint | null;
  /** The global position of the last event folded or written; for read-your-writes on the read side. */
  position: bigint | null;
  /**
   * Set when the decision was a refusal that is itself recorded (a wrong code counts against the attempts
   * left): its events are in `newEvents`, and the caller answers with the refusal.
   */
  refusal: Error | null;
}

export interface HandleOptions<State, Event> {
  /** The stream the decided events go to; its state is what the command is decided on. */
  streamId: string;
  /** Further streams whose events the decision reads (in log order with `streamId`'s), never written to. */
  alsoReads?: readonly string[];
  /** The revision the caller last saw (If-Match): the command is refused if the stream moved on. */
  expectedRevision?: bigint;
  /**
   * The state the caller already loaded for this stream (from an earlier command's result): the first
   * attempt decides on it without reading; an append that finds the stream moved on reads it afresh.
   */
  knownState?: StateAt<State>;
  /** The envelope each decided event is written in (its id and metadata). */
  toAppend(events: readonly Event[]): EventToAppend[];
}

export interface CommandHandlerOptions<Event> {
  /** The one boundary from a stored event to a domain event (type check, upcasting). */
  eventOf(stored: RecordedEvent): Event;
  /**
   * Deciding again when another writer appended between the read and the append (a version conflict):
   * attempts in all, and the bounds of the randomised backoff between them.
   */
  retry?: { attempts?: number; minDelayMs?: number; maxDelayMs?: number };
  /** Streams whose folded state is remembered between commands. */
  rememberedStreams?: number;
}

/** If-Match named a revision the stream is no longer (or not yet) at. */
export class StaleRevisionError extends Error {
  override readonly name = 'StaleRevisionError';
  constructor(readonly actual: bigint | null) {
    super(`The stream has changed since the revision you sent; it is now at ${actual ?? 'no revision'}.`);
  }
}

/**
 * The one command handler, for every decider (after Emmett's `handleCommand`): load the stream's state,
 * decide, append with the revision that was read, and when another command on the same stream won the race,
 * decide again on the fresh state (bounded, with a randomised backoff, through async-retry): never a lost
 * update. With `expectedRevision` (If-Match) a stream that moved on is the caller's to resolve instead.
 */
export class CommandHandler<State, Command, Event> {
  private readonly states: StreamStates<State, Event>;
  private readonly retry: Required<NonNullable<CommandHandlerOptions<Event>['retry']>>;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<State, Command, Event>,
    options: CommandHandlerOptions<Event>,
  ) {
    this.states = new StreamStates(store, decider, options.eventOf, options.rememberedStreams);
    this.retry = { attempts: 6, minDelayMs: 1, maxDelayMs: 50, ...options.retry };
  }

  async handle(command: Command, options: HandleOptions<State, Event>): Promise<CommandResult<State, Event>> {
    let known = options.knownState;
    return retry(
      async (bail, attemptNumber) => {
        // The first attempt may decide on what is remembered; after a lost race, only on a fresh read.
        const unverified = known ?? (attemptNumber === 1 ? this.remembered(options) : undefined);
        known = undefined;
        try {
          return await this.attempt(command, options, unverified);
        } catch (error) {
          if (error instanceof WrongExpectedRevisionError && options.expectedRevision === undefined)
            throw error;
          // bail() answers the caller with the error; return, never throw, after it: async-retry schedules
          // another attempt for an attempt that throws even after bail(), and the refused command would be
          // decided again behind the caller's back (and, the state having moved, might then be recorded).
          bail(error as Error);
          return undefined as never;
        }
      },
      {
        retries: this.retry.attempts - 1,
        minTimeout: this.retry.minDelayMs,
        maxTimeout: this.retry.maxDelayMs,
        randomize: true,
      },
    );
  }

  private remembered(options: HandleOptions<State, Event>): StateAt<State> | undefined {
    return options.alsoReads?.length ? undefined : this.states.remembered(options.streamId);
  }

  /**
   * One attempt. `unverified` is a state that may be behind the stream (remembered, or the caller's): an
   * append on it is safe, since its expected revision fails if the stream moved on, but an answer that
   * appends nothing (a refusal, If-Match not matching, nothing to do) is only given after reading the
   * stream's tail and deciding again, so a stale state never refuses wrongly.
   */
  private async attempt(
    command: Command,
    options: HandleOptions<State, Event>,
    unverified: StateAt<State> | undefined,
  ): Promise<CommandResult<State, Event>> {
    if (unverified) {
      const decision = this.decideOn(command, options, unverified);
      if (decision.kind === 'append')
        return this.append(options, unverified, decision.events, decision.refusal);
    }
    const current = await this.states.load(options.streamId, options.alsoReads);
    const decision = this.decideOn(command, options, current);
    if (decision.kind === 'refuse') throw decision.error;
    if (decision.kind === 'nothing')
      return { newEvents: [], newState: current.state, ...at(current), refusal: null };
    return this.append(options, current, decision.events, decision.refusal);
  }

  private decideOn(
    command: Command,
    { expectedRevision }: HandleOptions<State, Event>,
    current: StateAt<State>,
  ): Decision<Event> {
    if (expectedRevision !== undefined && current.revision !== expectedRevision) {
      return { kind: 'refuse', error: new StaleRevisionError(current.revision) };
    }
    try {
      const events = this.decider.decide(command, current.state);
      return events.length === 0 ? { kind: 'nothing' } : { kind: 'append', events, refusal: null };
    } catch (error) {
      const recorded = recordedEventsOf<Event>(error);
      if (recorded.length === 0) return { kind: 'refuse', error };
      return { kind: 'append', events: [...recorded], refusal: error as Error };
    }
  }

  private async append(
    options: HandleOptions<State, Event>,
    current: StateAt<State>,
    events: Event[],
    refusal: Error | null,
  ): Promise<CommandResult<State, Event>> {
    const { streamId, expectedRevision } = options;
    try {
      const appended = await this.store.appendToStream(streamId, options.toAppend(events), {
        expectedRevision: current.revision ?? 'no_stream',
      });
      const after = {
        state: events.reduce(this.decider.evolve, current.state),
        revision: appended.nextRevision,
        position: appended.position,
      };
      if (!options.alsoReads?.length) this.states.remember(streamId, after);
      return {
        newEvents: events,
        newState: after.state,
        revision: after.revision,
        position: after.position,
        refusal,
      };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && expectedRevision !== undefined) {
        throw new StaleRevisionError(error.actual === 'no_stream' ? null : error.actual);
      }
      throw error;
    }
  }
}

/** What a decision on one state came to. */
type Decision<Event> =
  | { kind: 'append'; events: Event[]; refusal: Error | null }
  | { kind: 'nothing' }
  | { kind: 'refuse'; error: unknown };

function at(current: { revision: bigint | null; position: bigint | null }) {
  return { revision: current.revision, position: current.position };
}
