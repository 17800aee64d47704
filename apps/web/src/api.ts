import { createSignetClient, type components } from '@signet/api-client';

/** The page's view of the API: every type comes from the OpenAPI document, so a changed API breaks this build. */
type Schemas = components['schemas'];
export type SecurityInfoPage = Schemas['SecurityInfoPageResponse'];
export type PageMethod = Schemas['SecurityInfoPageMethodView'];
export type PhoneType = PageMethod['phoneType'];
export type DeliveryMethod = Schemas['AddPhoneMethodRequest']['deliveryMethod'];
export type Problem = Schemas['Problem'];

/** The commands the page sends; each is one request (a POST carries an Idempotency-Key). */
export type Command =
  | { kind: 'addPhone'; body: Schemas['AddPhoneMethodRequest'] }
  | { kind: 'resend'; methodId: string; body: Schemas['ResendCodeRequest'] }
  | { kind: 'verify'; methodId: string; body: Schemas['VerifyPhoneRequest'] }
  | { kind: 'delete'; methodId: string }
  | { kind: 'changeDefault'; body: Schemas['ChangeDefaultRequest'] };

interface Answers {
  addPhone: Schemas['PhoneMethodAddedResponse'];
  resend: Schemas['CodeResentResponse'];
  verify: Schemas['PhoneVerifiedResponse'];
  delete: Schemas['MethodDeletedResponse'];
  changeDefault: Schemas['DefaultChangedResponse'];
}

export type CommandResult<K extends Command['kind']> =
  { ok: true; data: Answers[K]; response: Response } | { ok: false; problem: Problem; response: Response };

const client = (token: string | null) => createSignetClient(location.origin, token);

/** Reads the page; with `minPosition`, only once it shows the write that answered that position. */
export async function readPage(
  token: string,
  minPosition?: string,
): Promise<{ page: SecurityInfoPage; stale: boolean } | { problem: Problem; response: Response }> {
  const { data, error, response } = await client(token).GET('/v1/me/security-info', {
    params: { query: minPosition ? { minPosition } : {} },
  });
  if (data) return { page: data, stale: response.headers.get('X-Read-Model-Stale') === 'true' };
  return { problem: asProblem(error, response), response };
}

/** The development sign-in (embedded default): a token for the user named. */
export async function developmentSignIn(userName: string): Promise<string | Problem> {
  const { data, error, response } = await client(null).POST('/v1/dev/sign-in', { body: { userName } });
  return data ? data.accessToken : asProblem(error, response);
}

/**
 * One attempt of a command, conditional on `revision` (If-Match), with `idempotencyKey` on POSTs so a retry
 * or a second click of the same command records once.
 */
export async function sendCommand<C extends Command>(
  command: C,
  token: string,
  revision: string | null,
  idempotencyKey: string,
): Promise<CommandResult<C['kind']>> {
  const api = client(token);
  const ifMatch: Record<string, string> = revision !== null ? { 'If-Match': `"${revision}"` } : {};
  const post = { ...ifMatch, 'Idempotency-Key': idempotencyKey };
  const answer = await (async () => {
    switch (command.kind) {
      case 'addPhone':
        return api.POST('/v1/me/security-info/phone-methods', { body: command.body, headers: post });
      case 'resend':
        return api.POST('/v1/me/security-info/phone-methods/{methodId}/resend', {
          params: { path: { methodId: command.methodId } },
          body: command.body,
          headers: post,
        });
      case 'verify':
        return api.POST('/v1/me/security-info/phone-methods/{methodId}/verify', {
          params: { path: { methodId: command.methodId } },
          body: command.body,
          headers: post,
        });
      case 'delete':
        return api.DELETE('/v1/me/security-info/methods/{methodId}', {
          params: { path: { methodId: command.methodId } },
          headers: ifMatch,
        });
      case 'changeDefault':
        return api.PUT('/v1/me/security-info/default-method', { body: command.body, headers: ifMatch });
    }
  })();
  if (answer.data) return { ok: true, data: answer.data as Answers[C['kind']], response: answer.response };
  return { ok: false, problem: asProblem(answer.error, answer.response), response: answer.response };
}

/** A refusal as a problem; an answer that is not one (a proxy's HTML page) becomes one with its status. */
function asProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === 'object' && 'code' in error) return error as Problem;
  return {
    type: 'about:blank',
    title: response.statusText,
    status: response.status,
    detail: '',
    code: `http-${response.status}`,
  };
}
