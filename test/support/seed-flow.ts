import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@signet/testing';
import { cli } from './processes';
import { checkedFetch } from './openapi-contract';

export interface SeedFlowResult {
  methodId: string;
  /** Where the outbox says the code was texted. */
  textedTo: string;
  /** The page as served after the verification, with read-your-writes on its position. */
  page: Record<string, unknown>;
  /** The X-Read-Model-Stale header of that answer (null when fresh). */
  stale: string | null;
}

/**
 * The seed's flow as a person goes through it against a running Signet (`npm start`, or the API beside a
 * worker) with the outbox provider: a token from the CLI, "Text me a code", the code read from the outbox
 * in DATA_DIR, the code entered with the ETag of the add as If-Match once the worker has recorded the
 * delivery (background work must not move the page's revision), the page read back.
 */
export async function textMeACode(
  url: string,
  dataDir: string,
  userId: string,
  phoneNumber = '+1 425 555 0100',
): Promise<SeedFlowResult> {
  const token = (await cli(['token', '--sub', userId], { DATA_DIR: dataDir })).stdout.trim();
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const api = `${url}/v1/me/security-info`;

  const added = await checkedFetch(`${api}/phone-methods`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ phoneNumber, phoneType: 'mobile', deliveryMethod: 'sms' }),
  });
  if (added.status !== 201)
    throw new Error(`adding the phone answered ${added.status}: ${await added.text()}`);
  const { methodId, code: sent } = (await added.json()) as { methodId: string; code: { codeId: string } };
  const etag = added.headers.get('etag');

  const { message, code } = await codeFromOutbox(dataDir, sent.codeId);

  // The worker records what became of the code; the page's ETag from the add must outlive that.
  const auditor = (
    await cli(['token', '--sub', 'seed-auditor', '--roles', 'auditor'], { DATA_DIR: dataDir })
  ).stdout.trim();
  await eventually(
    async () => {
      const history = await checkedFetch(
        `${url}/v1/audit/users/${userId}/events?types=CodeDeliveryAccepted`,
        {
          headers: { Authorization: `Bearer ${auditor}` },
        },
      );
      return ((await history.json()) as { items: unknown[] }).items.length > 0;
    },
    { timeoutMs: 20_000, description: 'the delivery outcome in the history' },
  );

  const verified = await checkedFetch(`${api}/phone-methods/${methodId}/verify`, {
    method: 'POST',
    headers: { ...headers, 'If-Match': etag! },
    body: JSON.stringify({ code }),
  });
  if (verified.status !== 200) {
    throw new Error(`verifying answered ${verified.status}: ${await verified.text()}`);
  }
  const { position } = (await verified.json()) as { position: string };

  const page = await checkedFetch(`${api}?minPosition=${position}`, { headers });
  return {
    methodId,
    textedTo: message.to,
    page: (await page.json()) as Record<string, unknown>,
    stale: page.headers.get('x-read-model-stale'),
  };
}

/** The text message (or call) the outbox provider wrote to DATA_DIR for this code, and the code it holds. */
export async function codeFromOutbox(
  dataDir: string,
  codeId: string,
): Promise<{ message: { to: string; body: string }; code: string }> {
  const outbox = join(dataDir, 'outbox.jsonl');
  const message = await eventually(
    () =>
      (existsSync(outbox) ? readFileSync(outbox, 'utf8').trim().split('\n') : [])
        .map((l) => JSON.parse(l) as { codeId: string; body: string; to: string })
        .find((m) => m.codeId === codeId) ?? false,
    { timeoutMs: 20_000, description: 'the code in the outbox' },
  );
  // A text holds the code as it is; a call's script says its digits one by one ("1, 2, 3, 4, 5, 6").
  const code = /\b(\d{6})\b/.exec(message.body)?.[1] ?? /\b(\d(?:, \d){5})\b/.exec(message.body)![1];
  return { message, code: code.replace(/, /g, '') };
}
