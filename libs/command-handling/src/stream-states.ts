import type { Decider } from '@signet/domain';
import type { EventStore, RecordedEvent } from '@signet/event-store';
import { LRUCache } from 'lru-cache';

/** A stream's state as of a revision. */
export interface StateAt<State> {
  state: State;
  /** The revision of the stream that is written to; null while it does not exist. */
  revision: bigint | null;
  /** Global position of the last event folded; null while there is none. */
  position: bigint | null;
}

/**
 * The command side's view of each stream: folded once, then kept up to date by reading only the events after
 * the revision already folded. A long history (an auditor's 10k-event stream) costs one read of its tail per
 * command instead of a replay. Always correct: whatever is remembered, the stream's tail is read. The least
 * recently used streams are forgotten beyond `capacity` (lru-cache).
 */
export class StreamStates<State, Event> {
  private readonly entries: LRUCache<string, StateAt<State>>;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Pick<Decider<State, unknown, Event>, 'evolve' | 'initialState'>,
    private readonly eventOf: (stored: RecordedEvent) => Event,
    capacity = 10_000,
  ) {
    this.entries = new LRUCache({ max: capacity });
  }

  /**
   * The state folded from `streamId`, or, when other streams are read too (`alsoFrom`), from all of them in
   * log order; the revision is always that of `streamId`, the one written to. Several streams are folded
   * from their start each time: they are not remembered.
   */
  async load(streamId: string, alsoFrom: readonly string[] = []): Promise<StateAt<State>> {
    if (alsoFrom.length > 0) return this.loadMerged(streamId, alsoFrom);
    const known = this.entries.get(streamId);
    let { state, revision, position } = known ?? {
      state: this.decider.initialState(),
      revision: null,
      position: null,
    };
    const fromRevision = revision === null ? 'start' : revision + 1n;
    for await (const stored of this.store.readStream(streamId, { fromRevision })) {
      state = this.decider.evolve(state, this.eventOf(stored));
      revision = stored.revision;
      position = stored.position;
    }
    const current = { state, revision, position };
    if (revision !== null) this.remember(streamId, current);
    return current;
  }

  /**
   * The state last folded or appended for `streamId`, without reading: current unless another writer has
   * appended since. Whoever decides on it must let the expected revision of the append catch that.
   */
  remembered(streamId: string): StateAt<State> | undefined {
    return this.entries.get(streamId);
  }

  /** What a command just appended, so the next command on this stream starts from it. */
  remember(streamId: string, at: StateAt<State>): void {
    this.entries.set(streamId, at);
  }

  private async loadMerged(streamId: string, alsoFrom: readonly string[]): Promise<StateAt<State>> {
    let state = this.decider.initialState();
    let revision: bigint | null = null;
    let position: bigint | null = null;
    for await (const stored of this.store.readStreams([streamId, ...alsoFrom])) {
      state = this.decider.evolve(state, this.eventOf(stored));
      if (stored.streamId === streamId) revision = stored.revision;
      position = stored.position;
    }
    return { state, revision, position };
  }
}
