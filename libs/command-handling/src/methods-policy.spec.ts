import { DEFAULT_METHODS_POLICY, METHODS_POLICY_STREAM, type MethodsPolicy } from '@signet/domain';
import { SqliteEventStore } from '@signet/event-store';
import { recordingReads } from '@signet/event-store/testing';
import { randomUUID } from 'node:crypto';
import { MethodsPolicyInForce } from './methods-policy';

describe('MethodsPolicyInForce', () => {
  const noVoice: MethodsPolicy = {
    ...DEFAULT_METHODS_POLICY,
    methods: { ...DEFAULT_METHODS_POLICY.methods, voice: { state: 'disabled' } },
  };
  const change = (policy: MethodsPolicy, previous: MethodsPolicy) => ({
    id: randomUUID(),
    type: 'AuthenticationMethodsPolicyChanged',
    data: { policy, previous, changedAt: new Date(0).toISOString() },
    metadata: {},
  });

  it('sees a change made since the last read, reading only the stream after what it remembers', async () => {
    const inner = new SqliteEventStore({ filename: ':memory:' });
    const { store, reads } = recordingReads(inner);
    const inForce = new MethodsPolicyInForce(store);

    expect((await inForce.current()).policy).toEqual(DEFAULT_METHODS_POLICY);
    await store.appendToStream(METHODS_POLICY_STREAM, [change(noVoice, DEFAULT_METHODS_POLICY)], {
      expectedRevision: 'no_stream',
    });
    expect((await inForce.current()).policy).toEqual(noVoice);
    await store.appendToStream(METHODS_POLICY_STREAM, [change(DEFAULT_METHODS_POLICY, noVoice)], {
      expectedRevision: 0n,
    });
    expect((await inForce.current()).policy).toEqual(DEFAULT_METHODS_POLICY);
    expect((await inForce.current()).policy).toEqual(DEFAULT_METHODS_POLICY);

    // The first look reads the last event; after it, only the tail past the revision already seen.
    expect(reads.slice(1)).toEqual([{ fromRevision: 'start' }, { fromRevision: 1n }, { fromRevision: 2n }]);
    await inner.close();
  });
});
