/**
 * The read-model storage port, implemented by the embedded SQLite adapter and the MongoDB adapter; both pass
 * the same contract (see read-model.contract.ts).
 *
 * A projection's documents live in *generations*: the live one serves reads and follows the event log; a
 * shadow one is built by a rebuild while the live one keeps serving, then swapped in atomically. Every
 * generation keeps its own checkpoint: the global position up to which it has seen the log.
 */

/** One projected document, keyed (e.g. by user id), with the stream revision and log position it reflects. */
export interface ReadModelDocument<Body = unknown> {
  key: string;
  /**
   * The revision of the document's own stream that it reflects (for the Security info page: the page's
   * revision, though the document also follows the user's code-delivery stream).
   */
  revision: bigint;
  /** The global position of the last event applied to it: writes are guarded by it (only ever forwards). */
  position: bigint;
  body: Body;
}

export type GenerationRole = 'live' | 'shadow' | 'retired' | 'abandoned';

/** Why a projection stopped: the event it could not handle. It is never skipped. */
export interface ProjectionFault {
  position: string;
  eventId: string;
  streamId: string;
  eventType: string;
  error: string;
  at: string;
}

/** Where a rebuild stands; kept with its shadow generation so any process can show it. */
export interface RebuildProgress {
  state: 'building' | 'swapped' | 'failed' | 'abandoned';
  /** Events applied to the shadow so far. */
  processedEvents: number;
  /** The position the shadow is catching up to (the live checkpoint, or the head when nothing is live). */
  targetPosition: string;
  startedAt: string;
  finishedAt: string | null;
  /** Documents whose live copy differed from the rebuilt one at the swap; null until the swap. */
  drift: DriftReport | null;
  error: string | null;
}

export interface DriftReport {
  /** The position both copies were compared at. */
  position: string;
  documents: number;
  /** Up to 20 keys of drifted documents. */
  sampleKeys: string[];
}

export interface GenerationInfo {
  projection: string;
  generation: number;
  /** The projection code's version that built it. */
  version: number;
  role: GenerationRole;
  checkpoint: bigint;
  fault: ProjectionFault | null;
  rebuild: RebuildProgress | null;
  createdAt: string;
  /** Last write (a heartbeat while building). */
  updatedAt: string;
}

export type SwapOutcome =
  | { swapped: true; drift: DriftReport | null }
  /** The live copy moved on (or is behind): catch the shadow up to `liveCheckpoint` and try again. */
  | { swapped: false; liveCheckpoint: bigint };

export interface ReadModelStore {
  /** The live generation, created empty (checkpoint 0) if the projection has none yet. */
  ensureLive(projection: string, version: number): Promise<GenerationInfo>;
  /** The live generation, or null. */
  live(projection: string): Promise<GenerationInfo | null>;
  generation(projection: string, generation: number): Promise<GenerationInfo | null>;
  /** Every generation of every projection, newest first within a projection. */
  generations(): Promise<GenerationInfo[]>;

  /** A document of the live generation, with that generation (null when nothing is live). */
  readLive<Body>(
    projection: string,
    key: string,
  ): Promise<{ document: ReadModelDocument<Body> | null; generation: GenerationInfo | null }>;
  /**
   * Documents of one generation. Throws SupersededGenerationError when the generation is neither live nor a
   * shadow any more (a rebuild swapped it out).
   */
  readDocuments<Body>(
    projection: string,
    generation: number,
    keys: string[],
  ): Promise<Map<string, ReadModelDocument<Body>>>;
  /** Every document of a generation, in key order (comparisons, tests). */
  allDocuments<Body>(projection: string, generation: number): Promise<ReadModelDocument<Body>[]>;

  /**
   * Writes documents and moves the checkpoint forward (never back). A document is written only if its
   * position is above the stored one, so a duplicate delivery changes nothing. Embedded: one transaction.
   * Throws SupersededGenerationError when the generation is neither live nor a shadow.
   */
  commit(
    projection: string,
    generation: number,
    documents: ReadModelDocument[],
    checkpoint: bigint,
    progress?: Pick<RebuildProgress, 'processedEvents' | 'targetPosition'>,
  ): Promise<void>;

  recordFault(projection: string, generation: number, fault: ProjectionFault): Promise<void>;
  clearFault(projection: string, generation: number): Promise<void>;

  /**
   * Starts a shadow generation for a rebuild. A shadow left by an interrupted rebuild is abandoned (and its
   * documents dropped) unless it was written to within `busyAfterMs`: then RebuildInProgressError.
   */
  beginShadow(projection: string, version: number, options: { busyAfterMs: number }): Promise<GenerationInfo>;
  /**
   * Atomically: if the shadow's checkpoint equals the live one, compares both copies (drift), makes the
   * shadow live and retires the old one. Otherwise changes nothing.
   */
  swap(projection: string, shadow: number): Promise<SwapOutcome>;
  /** Ends a rebuild that will not swap: the shadow is marked failed or abandoned and its documents dropped. */
  endShadow(
    projection: string,
    shadow: number,
    state: 'failed' | 'abandoned',
    error: string | null,
  ): Promise<void>;

  /**
   * Takes or renews the lease `name` for `owner` until now + `ttlMs`; true if `owner` holds it now. A lease
   * that is free, already `owner`'s, or expired is taken; one held by another owner and not expired is not
   * (false, nothing changes). Lets several processes share a store with one projection runner at a time.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it, so another may take it at once. */
  releaseLease(name: string, owner: string): Promise<void>;

  /** Whether it answers; with `write`, whether it can still make a write durable (readiness). */
  ping(options?: { write?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** The generation was swapped out by a rebuild: reload the live one and carry on from its checkpoint. */
export class SupersededGenerationError extends Error {
  override readonly name = 'SupersededGenerationError';
  constructor(
    readonly projection: string,
    readonly generation: number,
  ) {
    super(`Generation ${generation} of projection ${projection} is no longer live`);
  }
}

export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError';
  constructor(
    readonly projection: string,
    readonly generation: number,
  ) {
    super(`A rebuild of ${projection} is already running (generation ${generation})`);
  }
}

export const READ_MODEL_STORE = Symbol('ReadModelStore');
