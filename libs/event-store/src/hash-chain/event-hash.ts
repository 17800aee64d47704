import { createHash } from 'node:crypto';

/**
 * The link that ties an event to the one before it on its stream, kept in `metadata.chain`. Altering,
 * removing or reordering a recorded event breaks the link of the event itself or of the one after it.
 */
export interface ChainLink {
  /** The hash of the previous event of the stream; GENESIS_HASH for the first. */
  previousHash: string;
  /** SHA-256 (hex) of the canonical form of this event and `previousHash`. */
  hash: string;
  algorithm: 'sha256';
  version: 1;
}

/** What a stream's first event chains to. */
export const GENESIS_HASH = '0'.repeat(64);

/** What is hashed: everything the writer recorded about the event except the link itself. */
export interface ChainedContent {
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/**
 * SHA-256 over the canonical form of the event (every metadata field but `chain`: actor, occurredAt,
 * correlation and causation ids, client address, user agent, ...) and the previous hash.
 */
export function hashEvent(event: ChainedContent, previousHash: string): string {
  const { chain: _link, ...metadata } = event.metadata;
  const canonical = canonicalJson({
    streamId: event.streamId,
    revision: event.revision.toString(),
    eventId: event.id,
    type: event.type,
    data: event.data,
    metadata,
    previousHash,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export function chainLink(event: ChainedContent, previousHash: string): ChainLink {
  return { previousHash, hash: hashEvent(event, previousHash), algorithm: 'sha256', version: 1 };
}

/** The link recorded on an event, or null when it has none (or not one this code can check). */
export function chainLinkOf(metadata: Record<string, unknown>): ChainLink | null {
  const link = metadata.chain as Partial<ChainLink> | undefined;
  if (
    typeof link !== 'object' ||
    link === null ||
    link.algorithm !== 'sha256' ||
    link.version !== 1 ||
    typeof link.hash !== 'string' ||
    typeof link.previousHash !== 'string'
  ) {
    return null;
  }
  return link as ChainLink;
}

/**
 * JSON with object keys sorted at every depth and no whitespace: the same bytes for the same content, however
 * a store or a language orders keys. Values are what JSON keeps (undefined fields vanish, as in the store).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}
