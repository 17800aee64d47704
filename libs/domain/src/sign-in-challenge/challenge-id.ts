import { randomBytes } from 'node:crypto';

/**
 * A challenge id names its user: `<base64url(userId)>.<128 random bits, base64url>`. The routes
 * `/v1/challenges/{challengeId}/…` carry no user id, and the challenge lives on its user's stream; encoding the
 * user in the id finds the stream without a lookup table (nothing to keep consistent, nothing to lose). The
 * random part makes the id unguessable: a forged id for a user names no challenge on their stream. The user
 * id is readable by whoever holds the id, the requesting service, which named the user itself.
 */
export function newChallengeId(userId: string, random: Buffer = randomBytes(16)): string {
  return `${Buffer.from(userId, 'utf8').toString('base64url')}.${random.toString('base64url')}`;
}

const CHALLENGE_ID = /^([A-Za-z0-9_-]{1,180})\.([A-Za-z0-9_-]{16,64})$/;

/** The user a challenge id names, or null for a string that is not a challenge id. */
export function userIdOfChallenge(challengeId: string): string | null {
  const match = CHALLENGE_ID.exec(challengeId);
  if (!match) return null;
  const userId = Buffer.from(match[1], 'base64url').toString('utf8');
  return userId.length > 0 && Buffer.from(userId, 'utf8').toString('base64url') === match[1] ? userId : null;
}
