import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** What a reader sees where personal data was and its key is gone. */
export const ERASED = '[erased]';

/** A value sealed under a person's data key: AES-256-GCM, the key named by its id. Base64url throughout. */
export interface Sealed {
  /** The data key's id (the key store's, never the key). */
  kid: string;
  iv: string;
  /** Ciphertext followed by the 16-byte GCM tag. */
  ct: string;
}

export function isSealed(value: unknown): value is Sealed {
  if (typeof value !== 'object' || value === null) return false;
  const sealed = value as Partial<Sealed>;
  return typeof sealed.kid === 'string' && typeof sealed.iv === 'string' && typeof sealed.ct === 'string';
}

/**
 * Seals a JSON value. The IV is synthetic (an HMAC of the plaintext under the key, as in AES-SIV): the same
 * value under the same key seals to the same bytes, so a rebuilt read model compares equal to the one it
 * replaces and a nonce is never reused for two different plaintexts.
 */
export function seal(value: unknown, key: Buffer, kid: string): Sealed {
  const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
  const iv = createHmac('sha256', key).update(kid).update(plaintext).digest().subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { kid, iv: iv.toString('base64url'), ct: ct.toString('base64url') };
}

/** Opens a sealed value; throws when the key is not the one it was sealed with or the bytes were altered. */
export function open<T = unknown>(sealed: Sealed, key: Buffer): T {
  const bytes = Buffer.from(sealed.ct, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
  decipher.setAAD(Buffer.from(sealed.kid, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  const plaintext = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]);
  return JSON.parse(plaintext.toString('utf8')) as T;
}

/** A data key wrapped (AES-256-GCM, random IV) by a master key. */
export function wrapKey(dataKey: Buffer, master: Buffer, kid: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ct = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
  return `${iv.toString('base64url')}.${ct.toString('base64url')}`;
}

export function unwrapKey(wrapped: string, master: Buffer, kid: string): Buffer {
  const [iv, ct] = wrapped.split('.').map((part) => Buffer.from(part, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', master, iv);
  decipher.setAAD(Buffer.from(kid, 'utf8'));
  decipher.setAuthTag(ct.subarray(ct.length - 16));
  const key = Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]);
  // In memory of its own: a small Buffer is a view on an 8 KB pool shared with other allocations, and a key
  // cached for a minute kept its whole pool alive (13 MB of the API's heap at saturation, for 4,000 keys).
  const own = Buffer.allocUnsafeSlow(key.length);
  key.copy(own);
  return own;
}

/** A master key's id: names it in the key store without revealing it. */
export function masterKeyId(master: Buffer): string {
  return createHash('sha256').update('signet master key id').update(master).digest('hex').slice(0, 16);
}

/**
 * The keyed fingerprint of a phone number: the same number gives the same fingerprint across accounts and
 * across erasures (per-destination limits, spotting one number on many accounts), yet without the deployment
 * secret no one can test a guess against it, as one could against a plain hash of the few billion numbers.
 */
export class PhoneFingerprints {
  private readonly key: Buffer;

  constructor(deploymentSecret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', deploymentSecret, '', 'signet phone fingerprint v1', 32));
  }

  of(e164: string): string {
    return createHmac('sha256', this.key).update(e164).digest('base64url').slice(0, 22);
  }
}
