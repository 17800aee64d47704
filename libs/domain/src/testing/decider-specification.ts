import { foldWith, recordedEventsOf, type Decider } from '../decider';

/**
 * Given/when/then for any decider, after Emmett's `DeciderSpecification.for(decider)`:
 *
 *   const given = DeciderSpecification.for(codeDeliveryDecider);
 *   given([...events]).when(command).then([...expectedEvents]);
 *   given([...events]).when(command).thenThrows(CodeDeliveryRefusal, (e) => expect(e.code).toBe('...'));
 *
 * The state handed to `decide` is deeply frozen, so a decision that mutates it fails with a TypeError.
 */
export const DeciderSpecification = {
  for<State, Command, Event>(decider: Decider<State, Command, Event>) {
    return (history: readonly Event[]) => ({
      when(command: Command) {
        const state = deepFreeze(foldWith(decider, history));
        const run = () => decider.decide(command, state);
        return {
          /** Asserts the recorded events, and that they fold onto the state; returns the longer history. */
          then(expected: readonly Event[]): Event[] {
            const events = run();
            expect(events).toEqual(expected);
            expect(() => foldWith(decider, events, state)).not.toThrow();
            return [...history, ...events];
          },
          /** Asserts that the command records nothing. */
          thenNothingHappened(): void {
            expect(run()).toEqual([]);
          },
          /**
           * Asserts a refusal of this class (checked further by `check`); returns it, and the history with
           * whatever the refusal itself records (a wrong code counts against the attempts left).
           */
          thenThrows<E extends Error>(
            errorClass: abstract new (...args: never[]) => E,
            check?: (error: E) => void,
          ): { error: E; history: Event[] } {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(errorClass);
            check?.(thrown as E);
            return { error: thrown as E, history: [...history, ...recordedEventsOf<Event>(thrown)] };
          },
        };
      },
    });
  },
};

/** `decide` must not change the state it is given; freezing it turns any mutation into a TypeError. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
