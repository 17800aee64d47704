/**
 * Step-up (issue 12's contract): a command the API will only take from a recent or stronger sign-in is answered
 * 401 with `WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="…",
 * max_age=600` (and `acr_values="…"` when a stronger method is needed). The page signs the person in again
 * with those and retries the command once (RFC 9470).
 */
export interface StepUpChallenge {
  /** The oldest sign-in (seconds ago) the API takes for this command. */
  maxAge?: number;
  /** The authentication context classes the API asks for, space-separated. */
  acrValues?: string;
  description?: string;
}

/** The step-up challenge in a `WWW-Authenticate` header, or null when it asks for something else (or nothing). */
export function parseStepUpChallenge(header: string | null | undefined): StepUpChallenge | null {
  const params = header ? bearerParams(header) : null;
  if (!params) return null;
  if (params.error !== 'insufficient_user_authentication') return null;
  const maxAge = params.max_age !== undefined ? Number(params.max_age) : undefined;
  return {
    ...(maxAge !== undefined && Number.isInteger(maxAge) && maxAge >= 0 ? { maxAge } : {}),
    ...(params.acr_values ? { acrValues: params.acr_values } : {}),
    ...(params.error_description ? { description: params.error_description } : {}),
  };
}

/** What a command attempt answered: enough to see a step-up challenge. */
export interface Attempt {
  response: Response;
}

/**
 * Runs a command with the current token; when the API answers the step-up challenge, has the person sign in
 * again as the challenge asks (`stepUp` resolves with the fresh token) and retries the command once. A second
 * challenge is returned as it is: the page never loops.
 */
export async function withStepUp<T extends Attempt>(
  attempt: (token: string) => Promise<T>,
  token: string,
  stepUp: (challenge: StepUpChallenge) => Promise<string | null>,
): Promise<T> {
  const first = await attempt(token);
  if (first.response.status !== 401) return first;
  const challenge = parseStepUpChallenge(first.response.headers.get('WWW-Authenticate'));
  if (!challenge) return first;
  // null: the person chose not to sign in again; the refusal stands and nothing is sent again.
  const fresh = await stepUp(challenge);
  return fresh === null ? first : attempt(fresh);
}

/**
 * The auth-params of the Bearer challenge in a `WWW-Authenticate` value (RFC 9110 §11.6.1), which may hold
 * other schemes' challenges too; null when there is no Bearer challenge.
 */
function bearerParams(header: string): Record<string, string> | null {
  const token = /[!#$%&'*+.^_`|~\w-]+/y;
  const space = /[\s,]*/y;
  let at = 0;
  const read = (pattern: RegExp): string | null => {
    pattern.lastIndex = at;
    const match = pattern.exec(header);
    if (!match) return null;
    at = pattern.lastIndex;
    return match[0];
  };
  let params: Record<string, string> | null = null;
  while (at < header.length) {
    read(space);
    const name = read(token);
    if (name === null) return params;
    read(/[ \t]*/y);
    if (header[at] !== '=') {
      // A new challenge begins: its scheme is `name`.
      if (params) return params;
      if (name.toLowerCase() === 'bearer') params = {};
      continue;
    }
    at += 1;
    read(/[ \t]*/y);
    let value: string;
    if (header[at] === '"') {
      const quoted = read(/"((?:[^"\\]|\\.)*)"/y) ?? '""';
      value = quoted.slice(1, -1).replace(/\\(.)/g, '$1');
    } else {
      value = read(token) ?? '';
    }
    const key = name.toLowerCase();
    if (params && !(key in params)) params[key] = value;
  }
  return params;
}
