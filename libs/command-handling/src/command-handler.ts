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
      async (bail) => {
        const fresh = known;
        known = undefined;
        try {
          return await this.attempt(command, options, fresh);
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

  private async attempt(
    command: Command,
    options: HandleOptions<State, Event>,
    known: StateAt<State> | undefined,
  ): Promise<CommandResult<State, Event>> {
    const { streamId, expectedRevision } = options;
    const current = known ?? (await this.states.load(streamId, options.alsoReads));
    if (expectedRevision !== undefined && current.revision !== expectedRevision) {
      throw new StaleRevisionError(current.revision);
    }
    let events: Event[];
    let refusal: Error | null = null;
    try {
      events = this.decider.decide(command, current.state);
    } catch (error) {
      const recorded = recordedEventsOf<Event>(error);
      if (recorded.length === 0) throw error;
      events = [...recorded];
      refusal = error as Error;
    }
    if (events.length === 0) return { newEvents: [], newState: current.state, ...at(current), refusal };

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

function at(current: { revision: bigint | null; position: bigint | null }) {
  return { revision: current.revision, position: current.position };
}
