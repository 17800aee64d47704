/**
 * The decider shape (as in event-driven-io/emmett): every rule of a stream lives in three pure pieces.
 * `decide` turns a command and the current state into the events to record (or throws a refusal); `evolve`
 * folds one event into the state; `initialState` is the state of a stream with no events. A command carries
 * everything from outside that the decision needs (the time, fresh ids), so a decision replays exactly.
 */
export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/**
 * A refusal that is itself a fact worth recording: a wrong code is refused, and still counts against the
 * attempts left. The command handler records `recordedEvents` before it passes the refusal on.
 */
export interface RecordedRefusal<Event> extends Error {
  readonly recordedEvents: readonly Event[];
}

export function recordedEventsOf<Event>(error: unknown): readonly Event[] {
  const events = (error as Partial<RecordedRefusal<Event>> | null)?.recordedEvents;
  return error instanceof Error && Array.isArray(events) ? events : [];
}

/** The state after `events`, from `from` (the decider's initial state by default). */
export function foldWith<State, Event>(
  decider: Pick<Decider<State, unknown, Event>, 'evolve' | 'initialState'>,
  events: Iterable<Event>,
  from: State = decider.initialState(),
): State {
  let state = from;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
