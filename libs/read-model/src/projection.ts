import type { RecordedEvent } from '@signet/event-store';
import type { ReadModelDocument } from './read-model.port';

/**
 * A projection: a pure function of events, `(document, event) -> document`, and what it listens to. The
 * runner and the rebuild feed it; it never touches a database, so it is tested without one.
 */
export interface Projection<Body = unknown> {
  /** Also its name on the CLI and in URLs: letters and digits only. */
  name: string;
  /** Bumped when the document shape or the projection logic changes (a rebuild then brings old data up). */
  version: number;
  /** The streams it reads, by prefix. */
  streamPrefixes: string[];
  /**
   * False when `apply` never reads the personal fields of an event's metadata (where a request came from): its
   * rebuild then reads the events without them (a store that seals them opens less). Absent: it may read them.
   */
  readsPersonalMetadata?: boolean;
  /** The document an event belongs to, or null for an event it ignores. */
  documentKey(event: RecordedEvent): string | null;
  /** Throws on an event it cannot handle: the runner then stops in a visible faulted state. */
  apply(document: ReadModelDocument<Body> | null, event: RecordedEvent): ReadModelDocument<Body>;
}
