import { renderSecurityInfoPage, UnknownEventError } from '@signet/domain';
import type { EventToAppend, RecordedEvent } from '@signet/event-store';
import {
  projectSecurityInfo,
  securityInfoPageOf,
  securityInfoPageProjection,
} from './security-info-projection';
import { officePhoneAdded, unknownEvent, verifiedPhoneEvents } from './testing/security-info-history';

/** Events as the log would deliver them on alice's stream. */
function recorded(events: EventToAppend[], streamId = 'securityInfo-alice'): RecordedEvent[] {
  return events.map((event, index) => ({
    ...event,
    streamId,
    revision: BigInt(index),
    position: BigInt(100 + index),
    recordedAt: new Date('2031-01-01T00:00:00.000Z'),
  }));
}

const fold = (events: RecordedEvent[]) => events.reduce(projectSecurityInfo, null);

describe('the Security info page projection', () => {
  it('keys documents by the user of the stream, ignoring other streams', () => {
    const [event] = recorded(verifiedPhoneEvents());
    expect(securityInfoPageProjection.documentKey(event)).toBe('alice');
    expect(securityInfoPageProjection.documentKey({ ...event, streamId: 'audit-alice' })).toBeNull();
  });

  it('given the seed flow, the page shows a verified default phone at the last revision', () => {
    const events = recorded([...verifiedPhoneEvents('m', '2030-05-05T10:00:00.000Z')]);
    const document = fold(events)!;
    expect(document).toMatchObject({ key: 'alice', revision: 3n, position: 103n });
    expect(securityInfoPageOf('alice', document)).toMatchObject({
      userId: 'alice',
      methods: [{ methodId: 'm', status: 'verified', isDefault: true, label: 'Phone' }],
      defaultMethod: { methodId: 'm', deliveryMethod: 'sms', label: 'Phone - text +14255550100' },
      revision: '3',
      updatedAt: '2030-05-05T10:00:00.000Z',
    });
  });

  it('renders with the one page rendering of the domain', () => {
    const events = recorded([...verifiedPhoneEvents(), officePhoneAdded('2030-02-02T00:00:00.000Z')]);
    const document = fold(events)!;
    expect(securityInfoPageOf('alice', document)).toEqual(
      renderSecurityInfoPage('alice', document.body.state, {
        revision: 4n,
        updatedAt: '2030-02-02T00:00:00.000Z',
      }),
    );
  });

  it('takes updatedAt from when the event occurred, or else when it was recorded', () => {
    const [event] = recorded(verifiedPhoneEvents());
    expect(projectSecurityInfo(null, { ...event, metadata: {} }).body.updatedAt).toBe(
      '2031-01-01T00:00:00.000Z',
    );
  });

  it('is pure: the document it was given is not changed', () => {
    const events = recorded(verifiedPhoneEvents());
    const before = fold(events.slice(0, 2))!;
    const copy = structuredClone(before);
    projectSecurityInfo(before, events[2]);
    expect(before).toEqual(copy);
  });

  it('shows a user with no history an empty page, not an error', () => {
    expect(securityInfoPageOf('nobody', null)).toEqual({
      userId: 'nobody',
      methods: [],
      defaultMethod: null,
      revision: null,
      updatedAt: null,
    });
  });

  it('refuses an event type the domain does not know, so the runner can stop on it', () => {
    const [event] = recorded([unknownEvent()]);
    expect(() => projectSecurityInfo(null, event)).toThrow(UnknownEventError);
  });
});
