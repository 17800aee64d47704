/** Every user's Security info lives on one stream, `securityInfo-<userId>`; the prefix selects them all. */
export const SECURITY_INFO_CATEGORY = 'securityInfo';

/**
 * What became of each code sent for a user (dispatch outcomes, delivery reports) lives on a stream of its
 * own, `codeDelivery-<userId>`: background work must never move the revision of the page the person edits
 * (their ETag), so only what changes the page goes on the Security info stream.
 */
export const CODE_DELIVERY_CATEGORY = 'codeDelivery';

/**
 * A user's sign-in challenges (two-step verification, password reset) live on a stream of their own,
 * `signInChallenge-<userId>`: a challenge never moves the page's revision.
 */
export const SIGN_IN_CHALLENGE_CATEGORY = 'signInChallenge';

export function signInChallengeStream(userId: string): string {
  return `${SIGN_IN_CHALLENGE_CATEGORY}-${userId}`;
}

/** Every category a user's history is told from (the audit export's filter, the page's projection). */
export const USER_STREAM_CATEGORIES = [
  SECURITY_INFO_CATEGORY,
  CODE_DELIVERY_CATEGORY,
  SIGN_IN_CHALLENGE_CATEGORY,
] as const;

/** The streams' prefixes, built once: a rebuild asks for the user of every event, twice. */
const USER_STREAM_PREFIXES = USER_STREAM_CATEGORIES.map((category) => `${category}-`);
const SECURITY_INFO_PREFIX = `${SECURITY_INFO_CATEGORY}-`;
const SIGN_IN_CHALLENGE_PREFIX = `${SIGN_IN_CHALLENGE_CATEGORY}-`;

export function securityInfoStream(userId: string): string {
  return `${SECURITY_INFO_CATEGORY}-${userId}`;
}

export function codeDeliveryStream(userId: string): string {
  return `${CODE_DELIVERY_CATEGORY}-${userId}`;
}

/** The user of a Security info stream; null for any other stream. */
export function userIdOfStream(streamId: string): string | null {
  return userIdIn(streamId, SECURITY_INFO_PREFIX);
}

/** The user of a sign-in challenge stream; null for any other stream. */
export function userIdOfChallengeStream(streamId: string): string | null {
  return userIdIn(streamId, SIGN_IN_CHALLENGE_PREFIX);
}

/** The user of any of a user's streams (Security info, code delivery, sign-in challenges); null for any other. */
export function userIdOfAnyStream(streamId: string): string | null {
  for (const prefix of USER_STREAM_PREFIXES) {
    if (streamId.startsWith(prefix)) return streamId.slice(prefix.length);
  }
  return null;
}

/** Every stream a user's history is told from, the Security info stream first. */
export function streamsOfUser(userId: string): [string, string, string] {
  return [securityInfoStream(userId), codeDeliveryStream(userId), signInChallengeStream(userId)];
}

function userIdIn(streamId: string, prefix: string): string | null {
  return streamId.startsWith(prefix) ? streamId.slice(prefix.length) : null;
}
