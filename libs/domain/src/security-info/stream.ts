/** Every user's Security info lives on one stream, `securityInfo-<userId>`; the prefix selects them all. */
export const SECURITY_INFO_CATEGORY = 'securityInfo';

export function securityInfoStream(userId: string): string {
  return `${SECURITY_INFO_CATEGORY}-${userId}`;
}

export function userIdOfStream(streamId: string): string | null {
  const prefix = `${SECURITY_INFO_CATEGORY}-`;
  return streamId.startsWith(prefix) ? streamId.slice(prefix.length) : null;
}
