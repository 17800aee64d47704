/**
 * What a delivery report must carry back so it can be recorded on the right stream: the user, the method and
 * the code. Travels to the provider as an opaque base64url token (and in Twilio's signed callback URL).
 */
export interface DeliveryReference {
  userId: string;
  methodId: string;
  codeId: string;
}

export function encodeDeliveryReference(reference: DeliveryReference): string {
  return Buffer.from(JSON.stringify([reference.userId, reference.methodId, reference.codeId])).toString(
    'base64url',
  );
}

/** null when the token is not one of ours. */
export function decodeDeliveryReference(token: string): DeliveryReference | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((p) => typeof p === 'string' && p))
      return null;
    const [userId, methodId, codeId] = parsed as string[];
    return { userId, methodId, codeId };
  } catch {
    return null;
  }
}
