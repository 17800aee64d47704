import { evolve, initialState, type SecurityInfo, type SecurityInfoEvent } from '@signet/domain';
import type { EventStore } from '@signet/event-store';

/** A user's Security info as of a stream revision. */
export interface SecurityInfoAt {
  state: SecurityInfo;
  /** null while the stream does not exist. */
  revision: bigint | null;
  /** Global position of the stream's last event; null while the stream does not exist. */
  position: bigint | null;
}

/**
 * The command side's view of each user's Security info: folded once, then kept up to date by reading only the
 * events after the revision already folded. A long history (an auditor's 10k-event stream) costs one read of
 * its tail per command instead of a replay. Always correct: whatever is cached, the stream's tail is read.
 * The least recently used entries go beyond `capacity`.
 */
export class SecurityInfoStates {
  private readonly entries = new Map<string, SecurityInfoAt>();

  constructor(
    private readonly store: EventStore,
    private readonly capacity = 10_000,
  ) {}

  async load(streamId: string): Promise<SecurityInfoAt> {
    const known = this.entries.get(streamId);
    let { state, revision, position } = known ?? { state: initialState, revision: null, position: null };
    const fromRevision = revision === null ? 'start' : revision + 1n;
    for await (const event of this.store.readStream(streamId, { fromRevision })) {
      state = evolve(state, { type: event.type, data: event.data } as SecurityInfoEvent);
      revision = event.revision;
      position = event.position;
    }
    const current = { state, revision, position };
    if (revision !== null) this.remember(streamId, current);
    return current;
  }

  /** What a command just appended, so the next command on this user starts from it. */
  remember(streamId: string, at: SecurityInfoAt): void {
    this.entries.delete(streamId);
    this.entries.set(streamId, at);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
