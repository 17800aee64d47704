import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema';

/** A typed client of the Signet API: paths, bodies, answers and problem codes come from the OpenAPI document. */
export type SignetClient = Client<paths>;

/** The problem every 4xx/5xx answer carries; each operation's `code` is narrowed to the codes it can give. */
export type Problem = components['schemas']['Problem'];

/**
 * A client for the API at `baseUrl` (e.g. `http://localhost:3000`) acting with a Bearer `token`. `options`
 * reach openapi-fetch (a `fetch` of your own, more headers).
 */
export function createSignetClient(
  baseUrl: string,
  token: string | null,
  options: Omit<ClientOptions, 'baseUrl'> = {},
): SignetClient {
  return createClient<paths>({
    ...options,
    baseUrl,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...options.headers },
  });
}
