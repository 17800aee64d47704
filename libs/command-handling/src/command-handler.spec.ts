import {
  securityInfoDecider,
  securityInfoEventOf,
  securityInfoStream,
  SecurityInfoRefusal,
  type SecurityInfoEvent,
} from '@signet/domain';
import {
  added,
  addPhone,
  at,
  commandFor,
  def,
  defaultChanged,
  MINUTE,
  pending,
  recordOf,
  verified,
  wrongCodeFor,
} from '@signet/domain/testing';
import { SqliteEventStore, WrongExpectedRevisionError, type EventStore } from '@signet/event-store';
import { recordingReads } from '@signet/event-store/testing';
import { CommandHandler, StaleRevisionError } from './command-handler';

describe('CommandHandler (the one command handler)', () => {
  let store: EventStore;
  const streamId = securityInfoStream('alice');
  const toAppend = (events: readonly SecurityInfoEvent[]) => events.map((event) => recordOf(event));
  const handlerOn = (on: EventStore) =>
    new CommandHandler(on, securityInfoDecider, { eventOf: securityInfoEventOf, retry: { minDelayMs: 0 } });

  beforeEach(() => {
    store = new SqliteEventStore({ filename: ':memory:' });
  });
  afterEach(() => store.close());

  it('decides on the stream as stored and appends what was decided, answering the new revision', async () => {
    const result = await handlerOn(store).handle(commandFor(addPhone('+1 425 555 0100')), {
      streamId,
      toAppend,
    });
    expect(result.newEvents.map((e) => e.type)).toEqual(['PhoneMethodAdded', 'CodeSent']);
    expect(result).toMatchObject({ revision: 1n, position: 2n, refusal: null });
    expect(result.newState.methods).toHaveLength(1);
  });

  it('records nothing and answers the current revision when the decision is to do nothing', async () => {
    const history = [
      ...verified('m', 'mobile'),
      defaultChanged(def('m', 'sms'), null, 'firstVerifiedMethod'),
    ];
    await store.appendToStream(streamId, toAppend(history), { expectedRevision: 'no_stream' });
    const again = await handlerOn(store).handle(
      commandFor({ type: 'ChangeDefault', methodId: 'm', deliveryMethod: 'sms' }),
      { streamId, toAppend },
    );
    expect(again).toMatchObject({ newEvents: [], revision: 3n, refusal: null });
  });

  it('records the events a refusal carries (a wrong code) and hands the refusal back with the new revision', async () => {
    await store.appendToStream(streamId, toAppend(pending('m', 'mobile')), { expectedRevision: 'no_stream' });
    const result = await handlerOn(store).handle(
      commandFor({ type: 'VerifyPhone', methodId: 'm', code: wrongCodeFor('m-code') }, { now: at(MINUTE) }),
      { streamId, toAppend },
    );
    expect(result.refusal).toBeInstanceOf(SecurityInfoRefusal);
    expect(result.refusal).toMatchObject({ code: 'code-incorrect', details: { attemptsRemaining: 4 } });
    expect(result.newEvents.map((e) => e.type)).toEqual(['VerificationFailed']);
    expect(result.revision).toBe(2n);
  });

  it('throws a refusal that records nothing, appending nothing', async () => {
    await expect(
      handlerOn(store).handle(commandFor({ type: 'DeleteMethod', methodId: 'nope' }), { streamId, toAppend }),
    ).rejects.toMatchObject({ code: 'method-not-found' });
    expect(await store.headPosition()).toBe(0n);
  });

  it('decides a refused command once: it is never decided again behind the caller’s back', async () => {
    let decisions = 0;
    const counting = {
      ...securityInfoDecider,
      decide: (...args: Parameters<typeof securityInfoDecider.decide>) => {
        decisions += 1;
        return securityInfoDecider.decide(...args);
      },
    };
    const handler = new CommandHandler(store, counting, {
      eventOf: securityInfoEventOf,
      retry: { minDelayMs: 0, maxDelayMs: 1 },
    });
    await expect(
      handler.handle(commandFor({ type: 'DeleteMethod', methodId: 'nope' }), { streamId, toAppend }),
    ).rejects.toMatchObject({ code: 'method-not-found' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(decisions).toBe(1);
  });

  it('refuses with StaleRevisionError when If-Match names a revision the stream is not at', async () => {
    await store.appendToStream(streamId, toAppend(pending('m', 'mobile')), { expectedRevision: 'no_stream' });
    const refused = handlerOn(store).handle(commandFor({ type: 'DeleteMethod', methodId: 'm' }), {
      streamId,
      expectedRevision: 0n,
      toAppend,
    });
    await expect(refused).rejects.toThrow(StaleRevisionError);
    await expect(refused).rejects.toMatchObject({ actual: 1n });
  });

  it('decides again on the fresh state when another writer won the race, and gives up after the bounded attempts', async () => {
    let conflicts = 2;
    const racing: EventStore = Object.create(store, {
      appendToStream: {
        value: async (...args: Parameters<EventStore['appendToStream']>) => {
          if (conflicts-- > 0) {
            // Another API instance appends first, behind this handler's back.
            await store.appendToStream(streamId, toAppend([added(`o${conflicts}`, 'office')]), {
              expectedRevision: 'any',
            });
            throw new WrongExpectedRevisionError(streamId, args[2].expectedRevision, 'no_stream');
          }
          return store.appendToStream(...args);
        },
      },
    });
    const result = await handlerOn(racing).handle(commandFor(addPhone('+1 425 555 0100')), {
      streamId,
      toAppend,
    });
    expect(result.revision).toBe(3n);
    expect(result.newState.methods.map((m) => m.phoneType)).toEqual(['office', 'office', 'mobile']);

    conflicts = Infinity;
    await expect(
      handlerOn(racing).handle(
        commandFor(addPhone('+1 425 555 0199', 'office', { deliveryMethod: 'voice' })),
        {
          streamId: securityInfoStream('bob'),
          toAppend,
        },
      ),
    ).rejects.toThrow(WrongExpectedRevisionError);
  });

  it('with If-Match, a lost race is the caller’s to resolve: a StaleRevisionError, no retry', async () => {
    let appends = 0;
    const racing: EventStore = Object.create(store, {
      appendToStream: {
        value: async (...args: Parameters<EventStore['appendToStream']>) => {
          appends += 1;
          throw new WrongExpectedRevisionError(streamId, args[2].expectedRevision, 5n);
        },
      },
    });
    await store.appendToStream(streamId, toAppend(pending('m', 'mobile')), { expectedRevision: 'no_stream' });
    await expect(
      handlerOn(racing).handle(commandFor({ type: 'DeleteMethod', methodId: 'm' }), {
        streamId,
        expectedRevision: 1n,
        toAppend,
      }),
    ).rejects.toMatchObject({ name: 'StaleRevisionError', actual: 5n });
    expect(appends).toBe(1);
  });

  describe('deciding on what it remembers', () => {
    it('decides a command on the state it remembers without reading the stream', async () => {
      const { store: observed, reads } = recordingReads(store);
      const handler = handlerOn(observed);
      await handler.handle(commandFor(addPhone('+1 425 555 0100')), { streamId, toAppend });
      reads.length = 0;
      const result = await handler.handle(
        commandFor(addPhone('+1 425 555 0199', 'office', { deliveryMethod: 'voice' })),
        { streamId, toAppend },
      );
      expect(result.revision).toBe(3n);
      expect(reads).toEqual([]);
    });

    it('when another writer overtook what it remembers, the append fails and the command is decided on a fresh read', async () => {
      const one = handlerOn(store);
      const other = handlerOn(store);
      await one.handle(commandFor(addPhone('+1 425 555 0100')), { streamId, toAppend });
      await other.handle(commandFor(addPhone('+1 425 555 0199', 'office', { deliveryMethod: 'voice' })), {
        streamId,
        toAppend,
      });
      const result = await one.handle(commandFor(addPhone('+1 425 555 0142', 'alternateMobile')), {
        streamId,
        toAppend,
      });
      expect(result.revision).toBe(5n);
      expect(result.newState.methods.map((m) => m.phoneType)).toEqual([
        'mobile',
        'office',
        'alternateMobile',
      ]);
    });

    it('never refuses on a state that may be behind: it reads the tail and decides again first', async () => {
      const one = handlerOn(store);
      await one.handle(commandFor(addPhone('+1 425 555 0100')), { streamId, toAppend });
      // Another API instance adds an office phone: this handler still remembers the stream without it.
      const other = await handlerOn(store).handle(
        commandFor(addPhone('+1 425 555 0199', 'office', { deliveryMethod: 'voice' })),
        { streamId, toAppend },
      );
      const officeId = other.newState.methods.find((m) => m.phoneType === 'office')!.methodId;
      const deleted = await one.handle(commandFor({ type: 'DeleteMethod', methodId: officeId }), {
        streamId,
        expectedRevision: other.revision!,
        toAppend,
      });
      expect(deleted.newEvents.map((e) => e.type)).toEqual(['MethodDeleted']);
      expect(deleted.revision).toBe(4n);
    });

    it('still refuses what the stream as stored refuses', async () => {
      const one = handlerOn(store);
      await one.handle(commandFor(addPhone('+1 425 555 0100')), { streamId, toAppend });
      await expect(
        one.handle(commandFor({ type: 'DeleteMethod', methodId: 'nope' }), { streamId, toAppend }),
      ).rejects.toMatchObject({ code: 'method-not-found' });
      await expect(
        one.handle(commandFor({ type: 'DeleteMethod', methodId: 'nope' }), {
          streamId,
          expectedRevision: 0n,
          toAppend,
        }),
      ).rejects.toMatchObject({ name: 'StaleRevisionError', actual: 1n });
    });
  });
});
