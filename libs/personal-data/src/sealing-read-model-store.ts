import type {
  GenerationInfo,
  ReadModelDocument,
  ReadModelStore,
  RebuildProgress,
  ProjectionFault,
  SwapOutcome,
} from '@signet/read-model';
import type { PersonalDataKeys } from './personal-data-keys';
import { isSealed, open, seal, type Sealed } from './sealing';

/**
 * Read-model documents sealed at rest under the key of the person they describe (the document key is the
 * user id). The seal is deterministic for a given body, so a rebuilt copy still compares equal to the live
 * one (drift). A document whose key was destroyed reads as absent: the page of an erased person is empty, and
 * a projection folds their next event onto a fresh state.
 */
export class PersonalDataSealingReadModelStore implements ReadModelStore {
  constructor(
    private readonly inner: ReadModelStore,
    private readonly keys: PersonalDataKeys,
  ) {}

  ensureLive(projection: string, version: number): Promise<GenerationInfo> {
    return this.inner.ensureLive(projection, version);
  }

  live(projection: string): Promise<GenerationInfo | null> {
    return this.inner.live(projection);
  }

  generation(projection: string, generation: number): Promise<GenerationInfo | null> {
    return this.inner.generation(projection, generation);
  }

  generations(): Promise<GenerationInfo[]> {
    return this.inner.generations();
  }

  async readLive<Body>(
    projection: string,
    key: string,
  ): Promise<{ document: ReadModelDocument<Body> | null; generation: GenerationInfo | null }> {
    const { document, generation } = await this.inner.readLive<unknown>(projection, key);
    return { document: document && (await this.opened<Body>(document)), generation };
  }

  async readDocuments<Body>(
    projection: string,
    generation: number,
    keys: string[],
  ): Promise<Map<string, ReadModelDocument<Body>>> {
    const stored = await this.inner.readDocuments<unknown>(projection, generation, keys);
    await this.keys.prefetch([...stored.values()].flatMap(kidOf));
    const documents = new Map<string, ReadModelDocument<Body>>();
    for (const [key, document] of stored) {
      const opened = await this.opened<Body>(document);
      if (opened) documents.set(key, opened);
    }
    return documents;
  }

  async allDocuments<Body>(projection: string, generation: number): Promise<ReadModelDocument<Body>[]> {
    const documents: ReadModelDocument<Body>[] = [];
    for (const document of await this.inner.allDocuments<unknown>(projection, generation)) {
      const opened = await this.opened<Body>(document);
      if (opened) documents.push(opened);
    }
    return documents;
  }

  async commit(
    projection: string,
    generation: number,
    documents: ReadModelDocument[],
    checkpoint: bigint,
    progress?: Pick<RebuildProgress, 'processedEvents' | 'targetPosition'>,
  ): Promise<void> {
    // The people's current keys asked of the key store at each commit, together.
    const keys = await this.keys.forDerivedMany(documents.map((document) => document.key));
    const sealed = documents.map((document) => {
      const { kid, key } = keys.get(document.key)!;
      return { ...document, body: { sealed: seal(document.body, key, kid) } };
    });
    return this.inner.commit(projection, generation, sealed, checkpoint, progress);
  }

  recordFault(projection: string, generation: number, fault: ProjectionFault): Promise<void> {
    return this.inner.recordFault(projection, generation, fault);
  }

  clearFault(projection: string, generation: number): Promise<void> {
    return this.inner.clearFault(projection, generation);
  }

  beginShadow(
    projection: string,
    version: number,
    options: { busyAfterMs: number },
  ): Promise<GenerationInfo> {
    return this.inner.beginShadow(projection, version, options);
  }

  swap(projection: string, shadow: number): Promise<SwapOutcome> {
    return this.inner.swap(projection, shadow);
  }

  endShadow(
    projection: string,
    shadow: number,
    state: 'failed' | 'abandoned',
    error: string | null,
  ): Promise<void> {
    return this.inner.endShadow(projection, shadow, state, error);
  }

  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.inner.acquireLease(name, owner, ttlMs);
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return this.inner.releaseLease(name, owner);
  }

  ping(options?: { write?: boolean }): Promise<void> {
    return this.inner.ping(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The document with its body opened; null when its key is gone. Documents written unsealed pass as they are. */
  private async opened<Body>(document: ReadModelDocument<unknown>): Promise<ReadModelDocument<Body> | null> {
    const sealed = (document.body as { sealed?: unknown } | null)?.sealed;
    if (!isSealed(sealed)) return document as ReadModelDocument<Body>;
    const key = await this.keys.forReading((sealed as Sealed).kid);
    if (!key) return null;
    return { ...document, body: open<Body>(sealed, key.key) };
  }
}

/** The kid a stored document is sealed under, if it is sealed. */
function kidOf(document: ReadModelDocument<unknown>): string[] {
  const sealed = (document.body as { sealed?: unknown } | null)?.sealed;
  return isSealed(sealed) ? [sealed.kid] : [];
}
