import { added, recordOf, sent } from '../testing';
import { SECURITY_INFO_SCHEMA_VERSION } from './events';
import { UnknownEventError } from './security-info';
import { MalformedEventError, securityInfoEventOf } from './stored-event';

describe('securityInfoEventOf: the one boundary from a stored event to a domain event', () => {
  it('gives back the domain event an event was written from', () => {
    for (const event of [added('m', 'office', { extension: '12' }), sent('m', 'c')]) {
      const stored = JSON.parse(JSON.stringify(recordOf(event)));
      expect(securityInfoEventOf(stored)).toEqual(event);
    }
  });

  it('reads events written before schema versions were stamped as version 1', () => {
    const { type, data } = recordOf(sent('m', 'c'));
    expect(securityInfoEventOf({ type, data, metadata: {} })).toEqual(sent('m', 'c'));
  });

  it('refuses a type the domain does not know', () => {
    expect(() => securityInfoEventOf({ type: 'PhoneMelted', data: {}, metadata: {} })).toThrow(
      UnknownEventError,
    );
  });

  it('refuses an event that lacks a field of its type', () => {
    const { type, data, metadata } = recordOf(sent('m', 'c'));
    const { codeId: _dropped, ...rest } = data;
    expect(() => securityInfoEventOf({ type, data: rest, metadata })).toThrow(
      new MalformedEventError('CodeSent', 'missing codeId'),
    );
  });

  it('refuses an event written by a newer Signet (a schema version it cannot read), or no version at all', () => {
    const { type, data } = recordOf(sent('m', 'c'));
    expect(() =>
      securityInfoEventOf({ type, data, metadata: { schemaVersion: SECURITY_INFO_SCHEMA_VERSION + 1 } }),
    ).toThrow(/this Signet reads up to/);
    expect(() => securityInfoEventOf({ type, data, metadata: { schemaVersion: 'two' } })).toThrow(
      MalformedEventError,
    );
  });
});
