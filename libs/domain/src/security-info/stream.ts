/** Every user's Security info lives on one stream, `securityInfo-<userId>`; the prefix selects them all. */
export const SECURITY_INFO_CATEGORY = 'securityInfo';

/**
 * What became of each code sent for a user (dispatch outcomes, delivery reports) lives on a stream of its
 * own, `codeDelivery-<userId>`: background work must never move the revision of the page the person edits
 * (their ETag), so only what changes the page goes on the Security info stream.
 */
export const CODE_DELIVERY_CATEGORY = 'codeDelivery';

export function securityInfoStream(userId: string): string {
  return `${SECURITY_INFO_CATEGORY}-${userId}`;
}

export function codeDeliveryStream(userId: string): string {
  return `${CODE_DELIVERY_CATEGORY}-${userId}`;
}

/** The user of a Security info stream; null for any other stream. */
export function userIdOfStream(streamId: string): string | null {
  return userIdIn(streamId, SECURITY_INFO_CATEGORY);
}

/** The user of either of a user's streams (Security info or code delivery); null for any other stream. */
export function userIdOfAnyStream(streamId: string): string | null {
  return userIdIn(streamId, SECURITY_INFO_CATEGORY) ?? userIdIn(streamId, CODE_DELIVERY_CATEGORY);
}

/** Both streams a user's history is told from, the Security info stream first. */
export function streamsOfUser(userId: string): [string, string] {
  return [securityInfoStream(userId), codeDeliveryStream(userId)];
}

function userIdIn(streamId: string, category: string): string | null {
  const prefix = `${category}-`;
  return streamId.startsWith(prefix) ? streamId.slice(prefix.length) : null;
}
