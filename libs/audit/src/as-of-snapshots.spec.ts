import {
  codeDeliveryStream,
  securityInfoStream,
  type DeliveryMethod,
  type PhoneType,
  type SecurityInfoEvent,
} from '@signet/domain';
import {
  changeStarted,
  def,
  defaultChanged,
  delivered,
  deliveryAccepted,
  deleted,
  added,
  MINUTE,
  NUMBERS,
  numberChanged,
  recordOf,
  sentTo,
  T0,
  verifiedEvent,
} from '@signet/domain/testing';
import {
  HashChainingEventStore,
  SqliteEventStore,
  type EventStore,
  type RecordedEvent,
  type ReadStreamOptions,
} from '@signet/event-store';
import { recordingReads } from '@signet/event-store/testing';
import {
  PersonalDataKeys,
  PersonalDataSealingEventStore,
  PersonalDataSealingReadModelStore,
  PhoneFingerprints,
  SqliteDataKeyStore,
} from '@signet/personal-data';
import {
  hasPassed,
  ProjectionRunner,
  rebuildProjection,
  SqliteReadModelStore,
  type ReadModelStore,
} from '@signet/read-model';
import { randomBytes } from 'node:crypto';
import { AsOfSnapshots, securityInfoAsOf, type AsOfMoment } from './as-of';
import {
  AS_OF_SNAPSHOTS_PROJECTION,
  asOfSnapshotsProjection,
  type AsOfSnapshotsBody,
} from './as-of-snapshots';
import type { PhoneNumberDisclosure } from './phone-numbers';

const EVERY = 40;
const USER = 'ada';

/** A small deterministic random walk (mulberry32), so a failure replays. */
function randomOf(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Method {
  id: string;
  type: PhoneType;
  channel: DeliveryMethod;
  number: string;
  verified: boolean;
  code: string;
}

/**
 * A person's long life on the page, one event a minute: phones added, codes sent, delivered and verified,
 * defaults changed, numbers changed, phones deleted; now and then a delivery outcome recorded on the Security
 * info stream itself (as before they had a stream of their own).
 */
class Life {
  private methods: Method[] = [];
  private defaultId: string | null = null;
  private minute = 0;
  private ids = 0;

  constructor(
    private readonly store: EventStore,
    private readonly random: () => number,
  ) {}

  get now(): number {
    return this.minute;
  }

  async live(steps: number): Promise<void> {
    for (let i = 0; i < steps; i++) await this.step();
  }

  /** The account starts afresh (PersonalDataErased): what the walk knew of it is gone. */
  async erased(): Promise<void> {
    this.methods = [];
    this.defaultId = null;
    await this.page({
      type: 'PersonalDataErased',
      data: { reason: 'asked', by: 'privacy-officer', erasedAt: new Date().toISOString() },
    });
  }

  private async step(): Promise<void> {
    const pick = <T>(items: T[]): T => items[Math.floor(this.random() * items.length)];
    const verified = this.methods.filter((m) => m.verified);
    const pending = this.methods.filter((m) => !m.verified);
    const free = (['mobile', 'alternateMobile', 'office'] as PhoneType[]).filter(
      (type) => !this.methods.some((m) => m.type === type),
    );
    const choices: Array<() => Promise<void>> = [];
    if (free.length) choices.push(() => this.add(pick(free)));
    if (pending.length) choices.push(() => this.verify(pick(pending)));
    if (this.methods.length) choices.push(() => this.deliver(pick(this.methods)));
    if (verified.length > 1) choices.push(() => this.changeDefault(pick(verified)));
    if (verified.length) choices.push(() => this.changeNumber(pick(verified)));
    const deletable = this.methods.filter((m) => m.id !== this.defaultId);
    if (deletable.length && this.random() < 0.5) choices.push(() => this.remove(pick(deletable)));
    await pick(choices)();
  }

  private async add(type: PhoneType): Promise<void> {
    const id = `m${++this.ids}`;
    const channel: DeliveryMethod = type === 'office' ? 'voice' : 'sms';
    const method = { id, type, channel, number: NUMBERS[type], verified: false, code: '' };
    this.methods.push(method);
    await this.page(added(id, type, { at: this.minute * MINUTE }));
    await this.send(method);
  }

  private async send(method: Method, number = method.number): Promise<void> {
    method.code = `c${++this.ids}`;
    await this.page(
      sentTo(method.id, method.code, number, { at: this.minute * MINUTE, channel: method.channel }),
    );
  }

  private async verify(method: Method): Promise<void> {
    method.verified = true;
    await this.page(verifiedEvent(method.id, method.code, method.channel, this.minute * MINUTE));
    if (this.defaultId === null) {
      this.defaultId = method.id;
      await this.page(defaultChanged(def(method.id, method.channel), null, 'firstVerifiedMethod'));
    }
  }

  private async deliver(method: Method): Promise<void> {
    if (!method.code) return;
    // Mostly on the code-delivery stream; sometimes on the Security info stream, as older writers did.
    if (this.random() < 0.25) return this.page(deliveryAccepted(method.id, method.code));
    await this.append(codeDeliveryStream(USER), deliveryAccepted(method.id, method.code));
    if (this.random() < 0.6) await this.append(codeDeliveryStream(USER), delivered(method.id, method.code));
  }

  private async changeDefault(method: Method): Promise<void> {
    const previous = this.methods.find((m) => m.id === this.defaultId);
    this.defaultId = method.id;
    await this.page(
      defaultChanged(
        def(method.id, method.channel),
        previous ? def(previous.id, previous.channel) : null,
        'user',
      ),
    );
  }

  private async changeNumber(method: Method): Promise<void> {
    const next = `+1425556${1000 + ++this.ids}`;
    const at = { at: this.minute * MINUTE, deliveryMethod: method.channel };
    await this.page(changeStarted(method.id, next, at));
    await this.send(method, next);
    await this.page(numberChanged(method.id, method.code, next, method.number, at));
    method.number = next;
    method.code = '';
  }

  private async remove(method: Method): Promise<void> {
    this.methods = this.methods.filter((m) => m !== method);
    await this.page(deleted(method.id, method.type));
  }

  private page(event: SecurityInfoEvent): Promise<void> {
    return this.append(securityInfoStream(USER), event);
  }

  private async append(streamId: string, event: SecurityInfoEvent): Promise<void> {
    const occurredAt = new Date(T0.getTime() + this.minute++ * MINUTE).toISOString();
    await this.store.appendToStream(streamId, [recordOf(event, { occurredAt })], { expectedRevision: 'any' });
  }
}

/**
 * The as-of view of a long generated history answered with the stored snapshots and without: byte for byte
 * the same page, at every moment, before and after an erasure and the account's life after it.
 */
describe('as-of snapshots (the asOfSnapshots projection)', () => {
  // Long histories, sealed and chained: slow on a loaded machine.
  jest.setTimeout(60_000);
  const master = randomBytes(32);
  let keyStore: SqliteDataKeyStore;
  let keys: PersonalDataKeys;
  let sqlite: SqliteEventStore;
  let events: EventStore;
  let reads: (ReadStreamOptions | undefined)[];
  let readModel: ReadModelStore;
  let runner: ProjectionRunner<AsOfSnapshotsBody>;
  const projection = asOfSnapshotsProjection(EVERY);

  beforeEach(() => {
    keyStore = new SqliteDataKeyStore({ filename: ':memory:' });
    keys = new PersonalDataKeys(keyStore, { current: master });
    sqlite = new SqliteEventStore({ filename: ':memory:' });
    const sealed = new PersonalDataSealingEventStore(
      new HashChainingEventStore(sqlite),
      keys,
      new PhoneFingerprints(randomBytes(32)),
    );
    ({ store: events, reads } = recordingReads(sealed));
    readModel = new PersonalDataSealingReadModelStore(
      new SqliteReadModelStore({ filename: ':memory:' }),
      keys,
    );
    runner = new ProjectionRunner({ projection, eventStore: events, store: readModel, batchSize: 64 });
  });

  afterEach(async () => {
    await runner.stop();
    await readModel.close();
    await events.close();
    await keyStore.close();
  });

  async function caughtUp(): Promise<void> {
    runner.start();
    const head = await events.headPosition();
    while (!(await hasPassed(projection, events, readModel, head))) await runner.nextCommit();
  }

  /** Every revision near a snapshot, a spread of others, and instants before, between and after the events. */
  function momentsUpTo(lastRevision: number, lastMinute: number): AsOfMoment[] {
    const moments: AsOfMoment[] = [];
    for (let r = 0; r <= lastRevision; r++) {
      const nearSnapshot = (r + 2) % EVERY < 4;
      if (nearSnapshot || r % 13 === 0 || r === lastRevision) moments.push({ revision: BigInt(r) });
    }
    for (let m = -1; m <= lastMinute + 1; m += 17) {
      moments.push({ asOf: new Date(T0.getTime() + m * MINUTE + (m % 2) * 30_000) });
    }
    return moments;
  }

  /** The same answer (or the same refusal) with the stored snapshots as without: compared as rendered JSON. */
  async function expectSameAnswers(moments: AsOfMoment[]): Promise<{ fromSnapshot: number }> {
    let fromSnapshot = 0;
    for (const moment of moments) {
      const disclosure: PhoneNumberDisclosure = moments.indexOf(moment) % 2 ? 'revealed' : 'masked';
      const replayed = await answerOf(() => securityInfoAsOf(events, USER, moment, disclosure));
      reads.length = 0;
      const snapshots = new AsOfSnapshots({ stored: readModel });
      const continued = await answerOf(() => securityInfoAsOf(events, USER, moment, disclosure, snapshots));
      expect({ moment: String(Object.values(moment)[0]), page: continued }).toEqual({
        moment: String(Object.values(moment)[0]),
        page: replayed,
      });
      if (reads[0]?.fromRevision !== 'start') fromSnapshot++;
    }
    return { fromSnapshot };
  }

  it('answers every moment byte for byte as a replay from the start, before and after an erasure', async () => {
    const life = new Life(events, randomOf(17));
    await life.live(400);
    await caughtUp();
    const before = await streamEnd(events);
    const first = await expectSameAnswers(momentsUpTo(before, life.now));
    // Most moments start from a stored snapshot (all but those before the first one).
    expect(first.fromSnapshot).toBeGreaterThan(momentsUpTo(before, life.now).length / 2);

    // Erased: the key goes first, so the snapshots sealed under it are unreadable at once, before the
    // projection has seen PersonalDataErased; the answers show [erased] exactly as a replay does.
    await keys.destroy(USER);
    await life.erased();
    const erasedAnswer = await securityInfoAsOf(events, USER, { revision: BigInt(before) }, 'revealed');
    expect(JSON.stringify(erasedAnswer)).toContain('[erased]');
    const whileErasing = await expectSameAnswers(momentsUpTo(before + 1, life.now));
    expect(whileErasing.fromSnapshot).toBe(0);

    // The account lives on (registered afresh under a new key); the projection cannot continue a fold it can
    // no longer read, so the answers replay until a rebuild, and stay the same.
    await life.live(200);
    await caughtUp();
    const after = await streamEnd(events);
    expect((await expectSameAnswers(momentsUpTo(after, life.now))).fromSnapshot).toBe(0);

    // Rebuilt (`projections rebuild asOfSnapshots`): snapshots again, of the erased history as it now reads.
    await runner.stop();
    await rebuildProjection({ projection, eventStore: events, store: readModel, batchSize: 64 });
    const rebuilt = await expectSameAnswers(momentsUpTo(after, life.now));
    expect(rebuilt.fromSnapshot).toBeGreaterThan(momentsUpTo(after, life.now).length / 2);
  }, 120_000);

  it('continues from the nearest snapshot, after checking the event it ends on', async () => {
    const life = new Life(events, randomOf(5));
    await life.live(200);
    await caughtUp();
    const snapshotEnd = BigInt(3 * EVERY - 1);
    reads.length = 0;
    await securityInfoAsOf(
      events,
      USER,
      { revision: snapshotEnd + 5n },
      'masked',
      new AsOfSnapshots({ stored: readModel }),
    );
    expect(reads).toEqual([
      { fromRevision: snapshotEnd, maxCount: 1 },
      { fromRevision: snapshotEnd + 1n },
      ...reads.slice(2),
    ]);
  });

  it('ignores a snapshot whose event no longer carries the link it recorded, and replays from the start', async () => {
    const life = new Life(events, randomOf(9));
    await life.live(200);
    await caughtUp();
    await runner.stop();
    // A snapshot that claims a different history: another link, and a page with nothing on it.
    const live = (await readModel.live(AS_OF_SNAPSHOTS_PROJECTION))!;
    const { document } = await readModel.readLive<AsOfSnapshotsBody>(AS_OF_SNAPSHOTS_PROJECTION, USER);
    const forged = (fold: AsOfSnapshotsBody['snapshots'][number]) => ({
      ...fold,
      state: { ...fold.state, securityInfo: { ...fold.state.securityInfo, methods: [] } },
      last: {
        ...fold.last,
        metadata: {
          ...fold.last.metadata,
          chain: { ...(fold.last.metadata.chain as object), hash: 'f'.repeat(64) },
        },
      },
    });
    await readModel.commit(
      AS_OF_SNAPSHOTS_PROJECTION,
      live.generation,
      [
        {
          ...document!,
          position: document!.position + 1n,
          body: { fold: forged(document!.body.fold!), snapshots: document!.body.snapshots.map(forged) },
        },
      ],
      live.checkpoint,
    );
    const end = await streamEnd(events);
    const moments: AsOfMoment[] = [{ revision: BigInt(end) }, { revision: BigInt(2 * EVERY) }];
    for (const moment of moments) {
      const replayed = await securityInfoAsOf(events, USER, moment, 'masked');
      reads.length = 0;
      const answered = await securityInfoAsOf(
        events,
        USER,
        moment,
        'masked',
        new AsOfSnapshots({ stored: readModel }),
      );
      expect(answered).toEqual(replayed);
      expect(reads.map((r) => r?.fromRevision)).toContain('start');
    }
  });

  it('keeps of the event a fold ends on its place, time and chain link only, not its data', async () => {
    const life = new Life(events, randomOf(7));
    await life.live(EVERY + 3);
    await caughtUp();
    const { document } = await readModel.readLive<AsOfSnapshotsBody>(AS_OF_SNAPSHOTS_PROJECTION, USER);
    for (const fold of [document!.body.fold!, ...document!.body.snapshots]) {
      const [event] = await readRevision(events, BigInt(fold.last.revision));
      expect(fold.last).toEqual({
        id: event.id,
        streamId: event.streamId,
        type: event.type,
        revision: String(event.revision),
        position: String(event.position),
        recordedAt: event.recordedAt.toISOString(),
        data: {},
        metadata: { occurredAt: event.metadata.occurredAt, chain: event.metadata.chain },
      });
    }
  });

  it('keeps none with AS_OF_SNAPSHOT_EVERY=0', async () => {
    const none = asOfSnapshotsProjection(0);
    const life = new Life(events, randomOf(3));
    await life.live(50);
    await rebuildProjection({ projection: none, eventStore: events, store: readModel });
    const live = (await readModel.live(AS_OF_SNAPSHOTS_PROJECTION))!;
    expect(await readModel.allDocuments(AS_OF_SNAPSHOTS_PROJECTION, live.generation)).toEqual([]);
  });
});

async function readRevision(store: EventStore, revision: bigint): Promise<RecordedEvent[]> {
  const read: RecordedEvent[] = [];
  for await (const event of store.readStream(securityInfoStream(USER), {
    fromRevision: revision,
    maxCount: 1,
  }))
    read.push(event);
  return read;
}

async function streamEnd(store: EventStore): Promise<number> {
  for await (const event of store.readStream(securityInfoStream(USER), {
    direction: 'backwards',
    fromRevision: 'end',
    maxCount: 1,
  }))
    return Number(event.revision);
  throw new Error('no stream');
}

async function answerOf(ask: () => Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify(await ask());
  } catch (error) {
    return `refused: ${(error as Error).name} ${(error as Error).message}`;
  }
}
