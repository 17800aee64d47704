import {
  maskPhoneNumber,
  parsedPhoneNumber,
  userIdOfAnyStream,
  withPhoneNumbersParsedOnce,
} from '@signet/domain';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  PingOptions,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '@signet/event-store';
import { PERSONAL_FIELDS, PERSONAL_METADATA_FIELDS } from './personal-fields';
import type { DataKey, PersonalDataKeys } from './personal-data-keys';
import { ERASED, isSealed, open, seal, type PhoneFingerprints, type Sealed } from './sealing';

/** An event's sealed personal data, naming the fields it holds: an erased event still says which were there. */
interface SealedFields extends Sealed {
  data: string[];
  metadata: string[];
}

interface SealedContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** What the system needs of a sealed phone number in the clear. */
export interface PhoneNumberFacts {
  /** "+1 XXXXXXXX00". */
  masked: string;
  callingCode: string | null;
  /** HMAC of the E.164 number with the deployment's secret: the same number, the same fingerprint. */
  fingerprint: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** How many events a read looks ahead for keys it does not know yet. */
const LOOK_AHEAD = 256;

/** The kids the personal data of `event` and of `ahead` from `from` on are sealed under (those that have any). */
function kidsOf(event: RecordedEvent, ahead: RecordedEvent[], from: number): string[] {
  const kids: string[] = [];
  const add = (sealed: unknown) => {
    if (isSealedFields(sealed)) kids.push(sealed.kid);
  };
  add(event.metadata?.sealed);
  for (let i = from; i < ahead.length; i++) add(ahead[i].metadata?.sealed);
  return kids;
}

/**
 * Personal data sealed at the event store's edge: each event's personal fields (PERSONAL_FIELDS, and
 * PERSONAL_METADATA_FIELDS: the client address, user agent and help-desk reason of its metadata) are replaced, on the way in, by one AES-256-GCM ciphertext
 * under the key of the person the stream belongs to, and put back on the way out. Placed above the hash chain,
 * so the chain covers the ciphertext and erasing a key (crypto-shredding) never breaks `audit verify`.
 *
 * Once the person's key is destroyed, every sealed field reads `[erased]`; the masked form, calling code and
 * fingerprint of a phone number stay in the clear (`clear`) for the limits and the audit trail.
 */
export class PersonalDataSealingEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly keys: PersonalDataKeys,
    private readonly fingerprints: PhoneFingerprints,
    /** Called after the inner store closes (a process whose only sealed store this is closes its keys too). */
    private readonly afterClose: () => Promise<void> = async () => {},
  ) {}

  async appendToStream(
    streamId: string,
    events: EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const sealed = await Promise.all(events.map((event) => this.sealEvent(streamId, event)));
    return this.inner.appendToStream(streamId, sealed, options);
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.opening(this.inner.readStream(streamId, options));
  }

  readStreams(streamIds: readonly string[]): AsyncIterable<RecordedEvent> {
    return this.opening(this.inner.readStreams(streamIds));
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.opening(this.inner.readAll(options), options?.withoutPersonalMetadata === true);
  }

  /**
   * The events of `source`, opened. An iterator of its own rather than an async generator: a rebuild reads
   * millions of events, and a generator's extra promises per event cost more than the decryption. At an event
   * whose key is not known here, it reads up to LOOK_AHEAD events ahead and asks the key store for all their
   * unknown keys at once (a round trip for a page's people, not one each).
   */
  private opening(
    source: AsyncIterable<RecordedEvent>,
    withoutPersonalMetadata = false,
  ): AsyncIterable<RecordedEvent> {
    return {
      [Symbol.asyncIterator]: () => {
        const events = source[Symbol.asyncIterator]();
        let ahead: RecordedEvent[] = [];
        let next = 0;
        let ended = false;
        return {
          next: async (): Promise<IteratorResult<RecordedEvent>> => {
            let event: RecordedEvent;
            if (next < ahead.length) {
              event = ahead[next++];
            } else {
              if (next > 0) [ahead, next] = [[], 0];
              const result = ended ? null : await events.next();
              if (!result || result.done) {
                ended = true;
                return { done: true, value: undefined };
              }
              event = result.value;
            }
            // No await at all when the key is known: one turn per event fewer.
            const opened = this.openedWithKnownKey(event, withoutPersonalMetadata);
            if (opened) return { done: false, value: opened };
            while (!ended && ahead.length - next < LOOK_AHEAD) {
              const result = await events.next();
              if (result.done) ended = true;
              else ahead.push(result.value);
            }
            await this.keys.prefetch(kidsOf(event, ahead, next));
            return { done: false, value: await this.openEvent(event, withoutPersonalMetadata) };
          },
          return: async (value?: unknown): Promise<IteratorResult<RecordedEvent>> =>
            events.return ? events.return(value) : { done: true, value: undefined },
        };
      },
    };
  }

  subscribeToAll(options?: SubscribeOptions): Subscription {
    const inner = this.inner.subscribeToAll(options);
    const openEvent = (event: RecordedEvent) => this.openEvent(event);
    return {
      caughtUp: inner.caughtUp,
      close: () => inner.close(),
      async *[Symbol.asyncIterator]() {
        for await (const event of inner) yield await openEvent(event);
      },
    };
  }

  /** The store beneath, whose events are as stored (sealed). */
  get stored(): EventStore {
    return this.inner;
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  ping(options?: PingOptions): Promise<void> {
    return this.inner.ping(options);
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      await this.afterClose();
    }
  }

  /**
   * The event as it is stored: its personal fields, of the data and of the metadata, sealed together in one
   * ciphertext (`metadata.sealed`, naming the fields it holds); a number's facts in the clear (`data.clear`).
   * Events with no personal field present are stored as they are.
   */
  async sealEvent(streamId: string, event: EventToAppend): Promise<EventToAppend> {
    if (typeof event?.data !== 'object' || event.data === null || typeof event.metadata !== 'object')
      return event;
    const dataFields = presentFields(event.data, PERSONAL_FIELDS[event.type] ?? []);
    const metadataFields = presentFields(event.metadata, PERSONAL_METADATA_FIELDS);
    if (dataFields.length === 0 && metadataFields.length === 0) return event;
    const person = personOf(streamId, event.metadata);
    if (person === null) return event;
    const { kid, key } = await this.keys.forWriting(person);
    const personal: SealedContent = {
      data: Object.fromEntries(dataFields.map((field) => [field, event.data[field]])),
      metadata: Object.fromEntries(metadataFields.map((field) => [field, event.metadata[field]])),
    };
    const sealed: SealedFields = { ...seal(personal, key, kid), data: dataFields, metadata: metadataFields };

    const data = without(event.data, dataFields);
    const clear: Record<string, PhoneNumberFacts> = {};
    for (const field of dataFields) {
      const value = event.data[field];
      if (typeof value === 'string' && E164.test(value)) clear[field] = this.factsOf(value);
    }
    if (Object.keys(clear).length > 0) data.clear = clear;
    return { ...event, data, metadata: { ...without(event.metadata, metadataFields), sealed } };
  }

  /**
   * The event as readers see it: sealed fields opened, or `[erased]` when their key is gone. Opened on first
   * use: a reader that never looks at a personal field (a projection folding a `CodeSent`, whose only personal
   * data is where the request came from) pays for no decryption.
   */
  async openEvent(event: RecordedEvent, withoutPersonalMetadata = false): Promise<RecordedEvent> {
    const sealed = event.metadata?.sealed;
    if (!isSealedFields(sealed)) return event;
    if (withoutPersonalMetadata && !sealsData(event, sealed)) return withoutSealedMetadata(event);
    return this.openedWith(event, sealed, await this.keys.forReading(sealed.kid), withoutPersonalMetadata);
  }

  /** `openEvent` without an await when the key is already known here (or needs none); else undefined. */
  private openedWithKnownKey(
    event: RecordedEvent,
    withoutPersonalMetadata: boolean,
  ): RecordedEvent | undefined {
    const sealed = event.metadata?.sealed;
    if (!isSealedFields(sealed)) return event;
    // Only the metadata sealed, and not wanted: no key needed (most events: where the request came from).
    if (withoutPersonalMetadata && !sealsData(event, sealed)) return withoutSealedMetadata(event);
    const key = this.keys.known(sealed.kid);
    return key === undefined ? undefined : this.openedWith(event, sealed, key, withoutPersonalMetadata);
  }

  private openedWith(
    event: RecordedEvent,
    sealed: SealedFields,
    key: DataKey | null,
    withoutPersonalMetadata: boolean,
  ): RecordedEvent {
    const content = new SealedContentOnUse(sealed, key);
    return {
      ...event,
      data: openedOnUse(event.data, 'clear', 'data', sealed.data, content),
      metadata: withoutPersonalMetadata
        ? withoutField(event.metadata, 'sealed')
        : openedOnUse(event.metadata, 'sealed', 'metadata', sealed.metadata, content),
    };
  }

  factsOf(e164: string): PhoneNumberFacts {
    // One parse for the calling code and the mask.
    return withPhoneNumbersParsedOnce(() => ({
      masked: maskPhoneNumber(e164),
      callingCode: parsedPhoneNumber(e164)?.countryCallingCode ?? null,
      fingerprint: this.fingerprints.of(e164),
    }));
  }
}

/**
 * The events as stored, ciphertext and all: what the hash chains cover (`audit verify`). Any other store is its
 * own stored form.
 */
export function storedFormOf(store: EventStore): EventStore {
  return store instanceof PersonalDataSealingEventStore ? store.stored : store;
}

/** Whose data an event holds: the user whose stream it is on, else its actor (their own access-log entries). */
export function personOf(streamId: string, metadata: Record<string, unknown>): string | null {
  const user = userIdOfAnyStream(streamId);
  if (user !== null) return user;
  const actor = metadata.actor as { subject?: unknown } | undefined;
  return typeof actor?.subject === 'string' && actor.subject !== '' ? actor.subject : null;
}

/** Whether an event's data has sealed fields, or their facts in the clear, to put back. */
function sealsData(event: RecordedEvent, sealed: SealedFields): boolean {
  return sealed.data.length > 0 || Object.hasOwn(event.data, 'clear');
}

/** The event read without its personal metadata: its metadata without the seal, its data as it is. */
function withoutSealedMetadata(event: RecordedEvent): RecordedEvent {
  return { ...event, metadata: withoutField(event.metadata, 'sealed') };
}

/** A copy of `source` without the field `name` (copied as openedOnUse copies). */
function withoutField(source: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const field in source) if (field !== name) copy[field] = source[field];
  return copy;
}

function presentFields(source: Record<string, unknown>, fields: readonly string[]): string[] {
  return fields.filter((field) => source[field] !== undefined && source[field] !== null);
}

function without(source: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const copy = { ...source };
  for (const field of fields) delete copy[field];
  return copy;
}

/** An event's sealed content, opened when one of its fields is first read, once for all of them. */
class SealedContentOnUse {
  private content: SealedContent | undefined;

  constructor(
    private readonly sealed: SealedFields,
    private readonly key: DataKey | null,
  ) {}

  get opened(): SealedContent {
    return (this.content ??= this.key ? open<SealedContent>(this.sealed, this.key.key) : this.erased());
  }

  /** What an erased event's sealed fields read: `[erased]`, each. */
  private erased(): SealedContent {
    const erased = (fields: string[]) => Object.fromEntries(fields.map((field) => [field, ERASED]));
    return { data: erased(this.sealed.data), metadata: erased(this.sealed.metadata) };
  }
}

const CONTENT = Symbol('sealed content');
type OpenedPart = Record<string, unknown> & { [CONTENT]: SealedContentOnUse };

/**
 * A copy of an event's data or metadata without what it stored in place of its personal fields (`stored`),
 * those fields read from the sealed content when first used. Every copy shares one getter per field, so the
 * copies of millions of events keep one shape (a getter per event would give each copy a shape of its own).
 */
function openedOnUse(
  source: Record<string, unknown>,
  stored: string,
  part: keyof SealedContent,
  fields: string[],
  content: SealedContentOnUse,
): Record<string, unknown> {
  // Most events seal their metadata's fields only: their data is read as it is.
  if (fields.length === 0 && !Object.hasOwn(source, stored)) return source;
  const opened: Record<string, unknown> = {};
  for (const name in source) if (name !== stored) opened[name] = source[name];
  Object.defineProperty(opened, CONTENT, { value: content });
  for (const field of fields) Object.defineProperty(opened, field, accessorOf(part, field));
  return opened;
}

const accessors = {
  data: new Map<string, PropertyDescriptor>(),
  metadata: new Map<string, PropertyDescriptor>(),
};

/** The getter of a sealed field; assigning the field makes it a plain value. */
function accessorOf(part: keyof SealedContent, field: string): PropertyDescriptor {
  let accessor = accessors[part].get(field);
  if (!accessor) {
    accessor = {
      enumerable: true,
      configurable: true,
      get(this: OpenedPart) {
        return this[CONTENT].opened[part][field];
      },
      set(this: OpenedPart, value: unknown) {
        Object.defineProperty(this, field, { value, writable: true, enumerable: true, configurable: true });
      },
    };
    accessors[part].set(field, accessor);
  }
  return accessor;
}

function isSealedFields(value: unknown): value is SealedFields {
  return (
    isSealed(value) &&
    Array.isArray((value as SealedFields).data) &&
    Array.isArray((value as SealedFields).metadata)
  );
}
