/**
 * A protocol-level test double of EventStoreDB: an in-memory gRPC server built with `@grpc/grpc-js` on the
 * service definitions that `@eventstore/db-client` itself ships, so the official client talks to it over a
 * real loopback socket exactly as it would to a server.
 *
 * Served: Streams.Append (client streaming: options, then proposed messages) and Streams.Read (stream reads,
 * `$all` reads in both directions with counts and positions, and catch-up subscriptions to `$all` with
 * stream-name/event-type filters by prefix or regex, confirmation, checkpoints, caught-up, then live events).
 * Everything else answers UNIMPLEMENTED: in particular ServerFeatures, so the client assumes an unknown server
 * and falls back to plain Append (a double must never advertise BatchAppend it does not serve), and
 * BatchAppend itself. Every call is counted in `calls`.
 *
 * Fault injection: `dropSubscriptions()` / `dropSubscriptionsAfter(n)` end live subscriptions with
 * UNAVAILABLE; `stop()` / `restart()` / `refuseConnectionsFor(ms)` take the listener down and bring it back on
 * the same port with the same data; `setLatency(ms)` delays every answer. `appendDirect()` writes behind the
 * client's back (also while the server is down), as another writer would.
 *
 * Test code only: never exported from index.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';

export interface EsdbDoubleOptions {
  /**
   * Events considered (scanned) between two checkpoints of a filtered subscription, before the client's
   * checkpoint-interval multiplier. EventStoreDB uses its read batch size (32).
   */
  checkpointInterval?: number;
  /**
   * Send `CaughtUp` when a subscription reaches the end of history (EventStoreDB 23.10+). When false, only a
   * checkpoint at the head marks the transition to live, as older servers do.
   */
  sendCaughtUp?: boolean;
  /** Write a few system events (`$`-prefixed streams and types) first, as a real database has. */
  systemEvents?: boolean;
  /**
   * Precede each live event with a checkpoint at its own position, as EventStoreDB 23.x does for the first
   * event past the caught-up point: a client that resumes exclusively from that checkpoint would skip it.
   */
  checkpointBeforeLiveEvents?: boolean;
}

export interface StoredEvent {
  streamName: string;
  revision: bigint;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
  /** Commit position; EventStoreDB 20+ gives each event commit = prepare = its log position. */
  position: bigint;
  /** .NET ticks (100 ns) since the Unix epoch, as the server's `created` metadata. */
  created: bigint;
}

export interface DirectEvent {
  id?: string;
  type: string;
  data: unknown;
  metadata?: unknown;
}

type CallName = 'Append' | 'Read' | 'BatchAppend' | 'Delete' | 'Tombstone' | 'ServerFeatures';

interface Filter {
  on: 'stream' | 'type';
  prefixes: string[];
  regex: RegExp | undefined;
}

interface ActiveSubscription {
  id: string;
  call: grpc.ServerWritableStream<ReadReq, ReadResp>;
  filter: Filter | undefined;
  checkpointEvery: number;
  /** Index in the log of the next event to consider. */
  next: number;
  considered: number;
  caughtUpSent: boolean;
  pumping: boolean;
  ended: boolean;
  /** Events sent since `dropSubscriptionsAfter` armed the fault. */
  sentSinceArmed: number;
}

const FIRST_POSITION = 1024n;
const TICKS_PER_MS = 10000n;

export class EsdbDouble {
  readonly calls: Record<CallName, number> = {
    Append: 0,
    Read: 0,
    BatchAppend: 0,
    Delete: 0,
    Tombstone: 0,
    ServerFeatures: 0,
  };
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private nextPosition = FIRST_POSITION;
  private readonly subscriptions = new Set<ActiveSubscription>();
  /** Where each subscription asked to start (exclusive), in order: 'start', 'end' or a commit position. */
  readonly subscriptionStarts: ('start' | 'end' | bigint)[] = [];
  private server: grpc.Server | undefined;
  private boundPort = 0;
  private latencyMs = 0;
  private trailerDelayMs = 0;
  private dropAfter: number | undefined;
  private dropAtCheckpoint = false;
  private readonly checkpointBeforeLiveEvents: boolean;
  private readonly checkpointInterval: number;
  private readonly sendCaughtUp: boolean;

  private constructor(options: EsdbDoubleOptions) {
    this.checkpointInterval = options.checkpointInterval ?? 32;
    this.sendCaughtUp = options.sendCaughtUp ?? true;
    this.checkpointBeforeLiveEvents = options.checkpointBeforeLiveEvents ?? false;
    if (options.systemEvents ?? true) {
      const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));
      this.write('$settings', [{ type: '$settings', data: json({ $userStreamAcl: {} }) }]);
      this.write('$scavenges', [{ type: '$scavengeStarted', data: json({ scavengeId: randomUUID() }) }]);
    }
  }

  /** Starts a double on a free loopback port. */
  static async start(options: EsdbDoubleOptions = {}): Promise<EsdbDouble> {
    const double = new EsdbDouble(options);
    await double.listen(0);
    return double;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The connection string for the client: insecure, as the double speaks plain HTTP/2. */
  get url(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Subscriptions currently open on the server. */
  get activeSubscriptions(): number {
    return this.subscriptions.size;
  }

  /** Every event, system events included, in log order. */
  events(): readonly StoredEvent[] {
    return this.log;
  }

  // ---- fault injection -------------------------------------------------------------------------------

  /** Delays every answer (append results, the start of every read and subscription) by `ms`. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /**
   * Holds the end of every read (its status) for `ms` after its last event, as a busy server or network
   * does: a client that stops at the last event it wanted meets the end later.
   */
  setTrailerDelay(ms: number): void {
    this.trailerDelayMs = ms;
  }

  /** Ends every open subscription with UNAVAILABLE, as a server restart or a network cut would. */
  dropSubscriptions(): number {
    const count = this.subscriptions.size;
    for (const subscription of [...this.subscriptions]) this.drop(subscription);
    return count;
  }

  /** One-shot: the first subscription to send `events` more events after this call is dropped right after. */
  dropSubscriptionsAfter(events: number): void {
    this.dropAfter = events;
    for (const subscription of this.subscriptions) subscription.sentSinceArmed = 0;
  }

  /** One-shot: the first subscription to send a checkpoint after this call is dropped right after it. */
  dropSubscriptionsAtNextCheckpoint(): void {
    this.dropAtCheckpoint = true;
  }

  /** Stops listening: open calls fail, new connections are refused. The data is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const subscription of [...this.subscriptions]) this.drop(subscription);
    server.forceShutdown();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Listens again on the same port, with the same data. */
  async restart(): Promise<void> {
    if (this.server) return;
    await this.listen(this.boundPort);
  }

  /** Refuses connections for `ms`, then comes back on the same port. Resolves once it is back. */
  async refuseConnectionsFor(ms: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.restart();
  }

  /** Appends without any expectation and without going through gRPC (works while stopped). */
  appendDirect(streamName: string, events: DirectEvent[]): StoredEvent[] {
    return this.write(
      streamName,
      events.map((event) => ({
        id: event.id,
        type: event.type,
        data: Buffer.from(JSON.stringify(event.data)),
        metadata: event.metadata === undefined ? undefined : Buffer.from(JSON.stringify(event.metadata)),
      })),
    );
  }

  async close(): Promise<void> {
    await this.stop();
  }

  // ---- server --------------------------------------------------------------------------------------

  private async listen(port: number): Promise<void> {
    const server = new grpc.Server();
    server.addService(StreamsService, {
      read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => {
        this.calls.Read += 1;
        this.read(call).catch((error: unknown) => this.fail(call, grpc.status.INTERNAL, String(error)));
      },
      append: (
        call: grpc.ServerReadableStream<AppendReq, AppendResp>,
        callback: grpc.sendUnaryData<AppendResp>,
      ) => {
        this.calls.Append += 1;
        this.append(call, callback);
      },
      batchAppend: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        this.calls.BatchAppend += 1;
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'BatchAppend is not served' });
      },
      delete: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        this.calls.Delete += 1;
        callback({ code: grpc.status.UNIMPLEMENTED, details: 'Delete is not served' });
      },
      tombstone: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        this.calls.Tombstone += 1;
        callback({ code: grpc.status.UNIMPLEMENTED, details: 'Tombstone is not served' });
      },
    });
    // Answered, but UNIMPLEMENTED: the client then assumes no optional feature (no BatchAppend).
    server.addService(ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        this.calls.ServerFeatures += 1;
        callback({ code: grpc.status.UNIMPLEMENTED, details: 'ServerFeatures is not served' });
      },
    });
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
    this.server = server;
  }

  /** Ends a read, after the trailer delay. */
  private async endRead(call: grpc.ServerWritableStream<ReadReq, ReadResp>): Promise<void> {
    if (this.trailerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.trailerDelayMs));
    call.end();
  }

  private async delay(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }

  private fail(
    call: { emit(event: 'error', error: unknown): unknown },
    code: grpc.status,
    details: string,
  ): void {
    call.emit('error', { code, details });
  }

  // ---- Append --------------------------------------------------------------------------------------

  private append(
    call: grpc.ServerReadableStream<AppendReq, AppendResp>,
    callback: grpc.sendUnaryData<AppendResp>,
  ): void {
    let options: AppendReq.Options | undefined;
    const proposed: AppendReq.ProposedMessage[] = [];
    let failed = false;
    call.on('data', (request: AppendReq) => {
      if (request.hasOptions()) options = request.getOptions();
      else if (request.hasProposedMessage()) proposed.push(request.getProposedMessage()!);
    });
    call.on('error', () => {
      failed = true;
    });
    call.on('end', () => {
      void this.delay().then(() => {
        if (failed || call.cancelled || !this.server) return;
        if (!options || !options.hasStreamIdentifier()) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'The first message must be the options' });
          return;
        }
        callback(null, this.applyAppend(options, proposed));
      });
    });
  }

  private applyAppend(options: AppendReq.Options, proposed: AppendReq.ProposedMessage[]): AppendResp {
    const streamName = Buffer.from(options.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
    const existing = this.streams.get(streamName);
    const current = existing ? existing[existing.length - 1].revision : undefined;
    const Case = AppendReq.Options.ExpectedStreamRevisionCase;
    const response = new AppendResp();
    let ok: boolean;
    switch (options.getExpectedStreamRevisionCase()) {
      case Case.NO_STREAM:
        ok = current === undefined;
        break;
      case Case.STREAM_EXISTS:
        ok = current !== undefined;
        break;
      case Case.REVISION:
        ok = current !== undefined && current === BigInt(options.getRevision());
        break;
      case Case.ANY:
        ok = true;
        break;
      default:
        // EventStoreDB requires an expectation; treat a missing one as ANY like the server's default.
        ok = true;
    }
    if (!ok) {
      const wrong = new AppendResp.WrongExpectedVersion();
      if (current === undefined) wrong.setCurrentNoStream(new Empty());
      else wrong.setCurrentRevision(current.toString());
      switch (options.getExpectedStreamRevisionCase()) {
        case Case.NO_STREAM:
          wrong.setExpectedNoStream(new Empty());
          break;
        case Case.STREAM_EXISTS:
          wrong.setExpectedStreamExists(new Empty());
          break;
        case Case.REVISION:
          wrong.setExpectedRevision(options.getRevision());
          break;
        default:
          wrong.setExpectedAny(new Empty());
      }
      response.setWrongExpectedVersion(wrong);
      return response;
    }

    const written = this.write(
      streamName,
      proposed.map((message) => {
        const metadata = message.getMetadataMap();
        return {
          id: readUuid(message.getId()),
          type: metadata.get('type') ?? '',
          contentType: metadata.get('content-type') ?? 'application/octet-stream',
          data: message.getData_asU8(),
          metadata: message.getCustomMetadata_asU8(),
        };
      }),
    );
    const success = new AppendResp.Success();
    const last = written[written.length - 1];
    const revision = last?.revision ?? current;
    if (revision === undefined) success.setNoStream(new Empty());
    else success.setCurrentRevision(revision.toString());
    if (last) {
      const position = new AppendResp.Position();
      position.setCommitPosition(last.position.toString());
      position.setPreparePosition(last.position.toString());
      success.setPosition(position);
    } else {
      success.setNoPosition(new Empty());
    }
    response.setSuccess(success);
    return response;
  }

  /** Appends atomically (one synchronous step) and wakes the live subscriptions. */
  private write(
    streamName: string,
    events: {
      id?: string;
      type: string;
      contentType?: string;
      data: Uint8Array;
      metadata?: Uint8Array;
    }[],
  ): StoredEvent[] {
    if (events.length === 0) return [];
    let stream = this.streams.get(streamName);
    if (!stream) {
      stream = [];
      this.streams.set(streamName, stream);
    }
    const created = BigInt(Date.now()) * TICKS_PER_MS;
    const written = events.map((event): StoredEvent => {
      const stored: StoredEvent = {
        streamName,
        revision: BigInt(stream.length),
        id: event.id ?? randomUUID(),
        type: event.type,
        contentType: event.contentType ?? 'application/json',
        data: event.data,
        customMetadata: event.metadata ?? new Uint8Array(),
        position: this.nextPosition,
        created,
      };
      // Byte offsets in a log: strictly increasing, far from consecutive.
      this.nextPosition +=
        96n + BigInt(stored.data.length + stored.customMetadata.length + streamName.length);
      stream.push(stored);
      this.log.push(stored);
      return stored;
    });
    for (const subscription of this.subscriptions) void this.pump(subscription);
    return written;
  }

  // ---- Read ----------------------------------------------------------------------------------------

  private async read(call: grpc.ServerWritableStream<ReadReq, ReadResp>): Promise<void> {
    await this.delay();
    if (call.cancelled) return;
    const options = call.request.getOptions();
    if (!options) return this.fail(call, grpc.status.INVALID_ARGUMENT, 'Missing options');
    const subscription = options.getCountOptionCase() === ReadReq.Options.CountOptionCase.SUBSCRIPTION;
    const filter = parseFilter(options);
    if (options.hasStream()) {
      if (subscription)
        return this.fail(call, grpc.status.UNIMPLEMENTED, 'Stream subscriptions are not served');
      return this.readStream(call, options);
    }
    if (!options.hasAll()) return this.fail(call, grpc.status.INVALID_ARGUMENT, 'Neither stream nor $all');
    if (subscription) return this.subscribeToAll(call, options.getAll()!, filter, options);
    return this.readAll(call, options, filter);
  }

  private async readStream(call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options) {
    const streamOptions = options.getStream()!;
    const identifier = streamOptions.getStreamIdentifier();
    const streamName = identifier ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8') : '';
    const stream = this.streams.get(streamName);
    if (!stream) {
      const notFound = new ReadResp.StreamNotFound();
      const id = new StreamIdentifier();
      id.setStreamName(Buffer.from(streamName, 'utf8'));
      notFound.setStreamIdentifier(id);
      const response = new ReadResp();
      response.setStreamNotFound(notFound);
      await send(call, response);
      return this.endRead(call);
    }
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const count = Number(BigInt(options.getCount() || '0'));
    const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
    let selected: StoredEvent[];
    switch (streamOptions.getRevisionOptionCase()) {
      case Case.END:
        selected = backwards ? [...stream].reverse() : [];
        break;
      case Case.REVISION: {
        const from = BigInt(streamOptions.getRevision());
        selected = backwards
          ? stream.filter((event) => event.revision <= from).reverse()
          : stream.filter((event) => event.revision >= from);
        break;
      }
      default:
        // The start is revision 0: backwards from it there is just that event.
        selected = backwards ? stream.slice(0, 1) : stream;
    }
    await this.sendEvents(call, selected.slice(0, count));
    await this.endRead(call);
  }

  private async readAll(
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    options: ReadReq.Options,
    filter: Filter | undefined,
  ): Promise<void> {
    const all = options.getAll()!;
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const count = Number(BigInt(options.getCount() || '0'));
    const Case = ReadReq.Options.AllOptions.AllOptionCase;
    let selected: StoredEvent[];
    switch (all.getAllOptionCase()) {
      case Case.END:
        selected = backwards ? [...this.log].reverse() : [];
        break;
      case Case.POSITION: {
        const from = readPosition(all.getPosition()!);
        // As EventStoreDB: forwards includes the event at the position, backwards starts before it.
        selected = backwards
          ? this.log.filter((event) => comparePosition(event.position, from) < 0).reverse()
          : this.log.filter((event) => comparePosition(event.position, from) >= 0);
        break;
      }
      default:
        selected = backwards ? [] : this.log;
    }
    if (filter) selected = selected.filter((event) => matches(filter, event));
    await this.sendEvents(call, selected.slice(0, count));
    await this.endRead(call);
  }

  private async sendEvents(call: grpc.ServerWritableStream<ReadReq, ReadResp>, events: StoredEvent[]) {
    for (const event of events) {
      if (call.cancelled || call.writableEnded) return;
      await send(call, eventResponse(event));
    }
  }

  // ---- Subscriptions -------------------------------------------------------------------------------

  private async subscribeToAll(
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    all: ReadReq.Options.AllOptions,
    filter: Filter | undefined,
    options: ReadReq.Options,
  ): Promise<void> {
    const Case = ReadReq.Options.AllOptions.AllOptionCase;
    let next: number;
    switch (all.getAllOptionCase()) {
      case Case.END:
        next = this.log.length;
        this.subscriptionStarts.push('end');
        break;
      case Case.POSITION: {
        // Exclusive: the subscription starts after the event at that position.
        const from = readPosition(all.getPosition()!);
        this.subscriptionStarts.push(from.commit);
        next = this.log.findIndex((event) => comparePosition(event.position, from) > 0);
        if (next < 0) next = this.log.length;
        break;
      }
      default:
        next = 0;
        this.subscriptionStarts.push('start');
    }
    const multiplier = options.getFilter()?.getCheckpointintervalmultiplier() || 1;
    const subscription: ActiveSubscription = {
      id: randomUUID(),
      call,
      filter,
      checkpointEvery: this.checkpointInterval * multiplier,
      next,
      considered: 0,
      caughtUpSent: false,
      pumping: false,
      ended: false,
      sentSinceArmed: 0,
    };
    this.subscriptions.add(subscription);
    const forget = () => {
      subscription.ended = true;
      this.subscriptions.delete(subscription);
    };
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);

    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(subscription.id);
    const response = new ReadResp();
    response.setConfirmation(confirmation);
    await send(call, response);
    await this.pump(subscription);
  }

  /** Sends every event the subscription has not considered yet; one pump at a time per subscription. */
  private async pump(subscription: ActiveSubscription): Promise<void> {
    if (subscription.pumping) return;
    subscription.pumping = true;
    try {
      while (!subscription.ended && subscription.next < this.log.length) {
        const event = this.log[subscription.next++];
        subscription.considered += 1;
        if (!subscription.filter || matches(subscription.filter, event)) {
          if (this.checkpointBeforeLiveEvents && subscription.caughtUpSent && subscription.filter) {
            await this.checkpoint(subscription, event.position);
            if (subscription.ended) return;
          }
          await send(subscription.call, eventResponse(event));
          if (this.dropAfter !== undefined && ++subscription.sentSinceArmed >= this.dropAfter) {
            this.dropAfter = undefined;
            this.drop(subscription);
            return;
          }
        }
        if (subscription.filter && subscription.considered % subscription.checkpointEvery === 0) {
          await this.checkpoint(subscription, event.position);
        }
      }
      if (!subscription.ended && !subscription.caughtUpSent) {
        subscription.caughtUpSent = true;
        const response = new ReadResp();
        if (this.sendCaughtUp) response.setCaughtUp(new ReadResp.CaughtUp());
        else {
          const head = this.log[this.log.length - 1]?.position ?? 0n;
          response.setCheckpoint(checkpointResponse(head).getCheckpoint());
        }
        await send(subscription.call, response);
      }
    } catch {
      // The call ended under us (cancelled, dropped): nothing left to send.
      subscription.ended = true;
      this.subscriptions.delete(subscription);
    } finally {
      subscription.pumping = false;
    }
  }

  private async checkpoint(subscription: ActiveSubscription, position: bigint): Promise<void> {
    await send(subscription.call, checkpointResponse(position));
    if (this.dropAtCheckpoint) {
      this.dropAtCheckpoint = false;
      this.drop(subscription);
    }
  }

  private drop(subscription: ActiveSubscription): void {
    if (subscription.ended) return;
    subscription.ended = true;
    this.subscriptions.delete(subscription);
    this.fail(subscription.call, grpc.status.UNAVAILABLE, 'Subscription dropped by the test double');
  }
}

// ---- protocol helpers --------------------------------------------------------------------------------

function parseFilter(options: ReadReq.Options): Filter | undefined {
  if (options.getFilterOptionCase() !== ReadReq.Options.FilterOptionCase.FILTER) return undefined;
  const filter = options.getFilter()!;
  const expression = filter.hasStreamIdentifier() ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) return undefined;
  return {
    on: filter.hasStreamIdentifier() ? 'stream' : 'type',
    prefixes: expression.getPrefixList(),
    regex: expression.getRegex() ? new RegExp(expression.getRegex()) : undefined,
  };
}

function matches(filter: Filter, event: StoredEvent): boolean {
  const value = filter.on === 'stream' ? event.streamName : event.type;
  if (filter.prefixes.length > 0) return filter.prefixes.some((prefix) => value.startsWith(prefix));
  return filter.regex ? filter.regex.test(value) : true;
}

function readPosition(position: { getCommitPosition(): string; getPreparePosition(): string }): {
  commit: bigint;
  prepare: bigint;
} {
  return { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) };
}

/** Orders an event (commit = prepare = position) against a requested {commit, prepare}. */
function comparePosition(position: bigint, other: { commit: bigint; prepare: bigint }): number {
  if (position !== other.commit) return position < other.commit ? -1 : 1;
  return position === other.prepare ? 0 : position < other.prepare ? -1 : 1;
}

function readUuid(uuid: UUID | undefined): string {
  if (!uuid) return randomUUID();
  if (uuid.hasString()) return uuid.getString();
  const structured = uuid.getStructured()!;
  const buffer = Buffer.alloc(16);
  buffer.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
  buffer.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
  const hex = buffer.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function eventResponse(event: StoredEvent): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  const id = new UUID();
  id.setString(event.id);
  recorded.setId(id);
  const identifier = new StreamIdentifier();
  identifier.setStreamName(Buffer.from(event.streamName, 'utf8'));
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(event.revision.toString());
  recorded.setCommitPosition(event.position.toString());
  recorded.setPreparePosition(event.position.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', event.type);
  metadata.set('content-type', event.contentType);
  metadata.set('created', event.created.toString());
  recorded.setCustomMetadata(event.customMetadata);
  recorded.setData(event.data);
  const read = new ReadResp.ReadEvent();
  read.setEvent(recorded);
  read.setCommitPosition(event.position.toString());
  const response = new ReadResp();
  response.setEvent(read);
  return response;
}

function checkpointResponse(position: bigint): ReadResp {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.toString());
  checkpoint.setPreparePosition(position.toString());
  const response = new ReadResp();
  response.setCheckpoint(checkpoint);
  return response;
}

/** Writes with backpressure; rejects if the call has ended. */
async function send(call: grpc.ServerWritableStream<ReadReq, ReadResp>, message: ReadResp): Promise<void> {
  if (call.cancelled || call.writableEnded || call.destroyed) throw new Error('The call has ended');
  if (call.write(message)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      call.off('drain', onDrain);
      call.off('close', onClose);
      call.off('cancelled', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error('The call has ended'));
    };
    call.on('drain', onDrain);
    call.on('close', onClose);
    call.on('cancelled', onClose);
  });
}
