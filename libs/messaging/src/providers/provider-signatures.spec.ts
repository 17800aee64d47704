import { decodeDeliveryReference, encodeDeliveryReference } from './delivery-reference';
import { parseHttpReport, parseTwilioReport } from '../dispatch/delivery-reports';
import { signHttpPayload, verifyHttpSignature } from './http/http-signature';
import { deliveryErrorForStatus } from './message-sender.port';
import { twilioSignature, verifyTwilioSignature } from './twilio/twilio-signature';

const SECRET = 'a-secret-of-at-least-32-characters!!';
const NOW = new Date('2030-01-01T09:00:00.000Z');

describe('Twilio request signatures', () => {
  // The worked example of Twilio's "Webhooks security" documentation.
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+12349013030',
    Digits: '1234',
    From: '+12349013030',
    To: '+18005551212',
  };

  it("matches Twilio's documented example", () => {
    expect(twilioSignature('12345', url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('refuses another token, another URL, a changed parameter or no signature', () => {
    const good = twilioSignature('12345', url, params);
    expect(verifyTwilioSignature('12345', good, url, params)).toBe(true);
    expect(verifyTwilioSignature('54321', good, url, params)).toBe(false);
    expect(verifyTwilioSignature('12345', good, `${url}&baz=3`, params)).toBe(false);
    expect(verifyTwilioSignature('12345', good, url, { ...params, Digits: '1235' })).toBe(false);
    expect(verifyTwilioSignature('12345', undefined, url, params)).toBe(false);
  });
});

describe('http provider signatures', () => {
  it('verifies what it signed, and nothing else', () => {
    const header = signHttpPayload(SECRET, '{"a":1}', NOW);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyHttpSignature(SECRET, header, '{"a":1}', NOW)).toBe(true);
    expect(verifyHttpSignature(SECRET, header, '{"a":2}', NOW)).toBe(false);
    expect(verifyHttpSignature(`${SECRET}x`, header, '{"a":1}', NOW)).toBe(false);
    expect(verifyHttpSignature(SECRET, 'v1=deadbeef', '{"a":1}', NOW)).toBe(false);
  });

  it('refuses a replayed signature older than five minutes', () => {
    const header = signHttpPayload(SECRET, 'x', NOW);
    expect(verifyHttpSignature(SECRET, header, 'x', new Date(NOW.getTime() + 299_000))).toBe(true);
    expect(verifyHttpSignature(SECRET, header, 'x', new Date(NOW.getTime() + 301_000))).toBe(false);
  });
});

describe('delivery reports', () => {
  const reference = encodeDeliveryReference({ userId: 'alice', methodId: 'm', codeId: 'c' });

  it('round-trips the reference, and refuses one that is not ours', () => {
    expect(decodeDeliveryReference(reference)).toEqual({ userId: 'alice', methodId: 'm', codeId: 'c' });
    expect(decodeDeliveryReference('bm90IG91cnM')).toBeNull();
    expect(decodeDeliveryReference(Buffer.from('["a","b"]').toString('base64url'))).toBeNull();
  });

  it('maps Twilio statuses: delivered, undeliverable with its error code, intermediate ones to nothing', () => {
    const url = `https://signet.example.com/v1/webhooks/sms/twilio?ref=${reference}`;
    const report = (params: Record<string, string>) =>
      parseTwilioReport('token', twilioSignature('token', url, params), url, params);
    expect(report({ MessageSid: 'SM1', MessageStatus: 'delivered' }).outcome).toEqual({ delivered: true });
    expect(report({ CallSid: 'CA1', CallStatus: 'completed' }).outcome).toEqual({ delivered: true });
    expect(report({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' }).outcome).toEqual({
      delivered: false,
      reason: 'undelivered (error 30003)',
    });
    expect(report({ CallSid: 'CA1', CallStatus: 'no-answer' }).outcome).toEqual({
      delivered: false,
      reason: 'no-answer',
    });
    expect(report({ MessageSid: 'SM1', MessageStatus: 'sent' }).outcome).toBeNull();
    expect(report({ MessageSid: 'SM1', MessageStatus: 'sent' }).reference.userId).toBe('alice');
  });

  it('checks the http report signature over the whole body, then its status', () => {
    const raw = (report: object) => Buffer.from(JSON.stringify(report));
    const body = { reference, messageId: 'msg-1', status: 'undeliverable', reason: 'handset off' };
    const signed = signHttpPayload(SECRET, raw(body).toString(), NOW);
    expect(parseHttpReport(SECRET, signed, raw(body), NOW)).toMatchObject({
      provider: 'http',
      outcome: { delivered: false, reason: 'handset off' },
    });
    // Every field is covered, the reason included.
    for (const tampered of [
      { ...body, messageId: 'msg-2' },
      { ...body, reason: 'carrier says no' },
    ]) {
      expect(() => parseHttpReport(SECRET, signed, raw(tampered), NOW)).toThrow(
        expect.objectContaining({ kind: 'signature' }),
      );
    }
    const odd = { ...body, status: 'lost' };
    expect(() =>
      parseHttpReport(SECRET, signHttpPayload(SECRET, raw(odd).toString(), NOW), raw(odd), NOW),
    ).toThrow(expect.objectContaining({ kind: 'malformed' }));
    const notJson = Buffer.from('status=delivered');
    expect(() =>
      parseHttpReport(SECRET, signHttpPayload(SECRET, notJson.toString(), NOW), notJson, NOW),
    ).toThrow(expect.objectContaining({ kind: 'malformed' }));
  });
});

describe('provider answers', () => {
  it.each([
    [400, true],
    [401, true],
    [404, true],
    [408, false],
    [429, false],
    [500, false],
    [503, false],
  ])('HTTP %i is permanent: %s', (status, permanent) => {
    expect(deliveryErrorForStatus('p', status, '').permanent).toBe(permanent);
  });
});
