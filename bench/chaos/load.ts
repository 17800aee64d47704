import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

export type CommandKind = 'add' | 'resend' | 'verify' | 'default' | 'delete';
type PhoneType = 'mobile' | 'alternateMobile';
type DeliveryMethod = 'sms' | 'voice';

/** One command as the client sent it, and what it heard back (`status` null: no answer — refused connection, reset, timeout). */
export interface Attempt {
  seq: number;
  userId: string;
  kind: CommandKind;
  correlationId: string;
  /** The method it was about (for an add: the one the answer named, when answered). */
  methodId?: string;
  phoneType?: PhoneType;
  /** A default change: what it asked for. */
  target?: { methodId: string; deliveryMethod: DeliveryMethod };
  status: number | null;
  /** A refusal's problem code (`code-incorrect`, `method-not-found`, …). */
  refusal?: string;
  /** Parts of a 2xx answer the checks need. */
  answer?: { codeId?: string; position?: string; changed?: boolean };
}

/**
 * The outbox (`DATA_DIR/outbox.jsonl`) as a phone would see it: every code texted or called, by code id.
 * Read incrementally (the file only grows); the load's clients read their codes from here, as people would.
 */
export class OutboxReader {
  private offset = 0;
  private rest = '';
  /** codeId → each line's code, in order (a code sent twice has two entries). */
  readonly sends = new Map<string, string[]>();
  /** Lines that were not a whole JSON message with a code id. */
  readonly malformed: string[] = [];
  /** Security notices (`notice-…` ids): no code in them, counted apart from the codes. */
  notices = 0;

  constructor(private readonly filename: string) {}

  poll(): void {
    if (!existsSync(this.filename)) return;
    const fd = openSync(this.filename, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buffer.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const message = JSON.parse(line) as { codeId?: string; body?: string };
          if (message.codeId?.startsWith('notice-') && message.body?.includes('security notice')) {
            this.notices++;
            continue;
          }
          const digits = /code is ([\d, ]+?)\./.exec(message.body ?? '')?.[1].replace(/\D/g, '');
          if (!message.codeId || !digits || digits.length !== 6) throw new Error('no code');
          this.sends.set(message.codeId, [...(this.sends.get(message.codeId) ?? []), digits]);
        } catch {
          this.malformed.push(line);
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The tail of the file that is not a whole line yet (a writer killed mid-line would leave one). */
  get partialLine(): string {
    return this.rest;
  }
}

export interface LoadOptions {
  url: string;
  /** People at once. */
  people: number;
  tokenFor: (userId: string) => Promise<string>;
  outbox: OutboxReader;
  stopAt: number;
  random: () => number;
  /** How long a client waits for its code in the outbox before asking for another one. */
  codeWaitMs: number;
}

const PAGE = '/v1/me/security-info';
const TYPES: readonly PhoneType[] = ['mobile', 'alternateMobile'];

interface Belief {
  methodId: string;
  phoneType: PhoneType;
  verified: boolean;
  codeId: string | null;
}

let numbers = 0;
/** A fresh North American number for every add (no number is re-added, so no cooldown or destination limit). */
function freshNumber(): string {
  numbers++;
  return `+1 425 ${String(2000000 + numbers).slice(0, 3)} ${String(2000000 + numbers).slice(3)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The steady load: every seat runs one person's loop at once (add a phone, wait for its code in the outbox, ask
 * for another if it is slow, enter it, sometimes make it the default or call me instead, delete one when both
 * slots are taken), sequentially, with a short think time. Every command and what it heard back is logged. A
 * command with no answer (the API was being killed) or a 4xx (the person's view was out of date) makes the client
 * read its page again before it goes on, as a browser would reload. A person who has used up the account's codes
 * for the hour (`code-limit-reached`) leaves the seat to a new person, so the load stays one of real commands.
 */
export async function runLoad(
  options: LoadOptions,
): Promise<{ attempts: Attempt[]; users: { userId: string; token: string }[] }> {
  const attempts: Attempt[] = [];
  const users: { userId: string; token: string }[] = [];
  let seq = 0;
  const outboxTimer = setInterval(() => options.outbox.poll(), 100);
  try {
    await Promise.all(Array.from({ length: options.people }, (_, i) => personLoop(i + 1)));
  } finally {
    clearInterval(outboxTimer);
  }
  return { attempts, users };

  async function personLoop(seat: number): Promise<void> {
    const { random } = options;
    let generation = 0;
    let user = { userId: '', token: '' };
    let beliefs: Belief[] = [];
    let lastPosition = '0';
    let needsSync = false;
    const running = () => Date.now() < options.stopAt;
    /** A new person takes the seat: the first, or the next once one has used up the codes of the hour. */
    const nextPerson = async () => {
      generation++;
      const userId = `chaos-${String(seat).padStart(3, '0')}-${generation}`;
      user = { userId, token: await options.tokenFor(userId) };
      users.push(user);
      beliefs = [];
      lastPosition = '0';
      needsSync = false;
    };
    await nextPerson();

    const send = async (
      kind: CommandKind,
      method: string,
      path: string,
      body: object | undefined,
      about: Partial<Attempt>,
    ): Promise<Attempt> => {
      const attempt: Attempt = {
        seq: seq++,
        userId: user.userId,
        kind,
        correlationId: randomUUID(),
        ...about,
        status: null,
      };
      attempts.push(attempt);
      try {
        const response = await fetch(`${options.url}${PAGE}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${user.token}`,
            'x-correlation-id': attempt.correlationId,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(15_000),
        });
        const text = await response.text();
        attempt.status = response.status;
        if (response.ok) {
          const json = JSON.parse(text) as {
            methodId?: string;
            code?: { codeId: string };
            position?: string | null;
            changed?: boolean;
          };
          attempt.answer = {
            codeId: json.code?.codeId,
            position: json.position ?? undefined,
            changed: json.changed,
          };
          if (kind === 'add') attempt.methodId = json.methodId;
          if (json.position) lastPosition = json.position;
        } else {
          try {
            attempt.refusal = (JSON.parse(text) as { code?: string }).code ?? `http-${response.status}`;
          } catch {
            attempt.refusal = `http-${response.status}`;
          }
        }
      } catch {
        attempt.status = null;
      }
      if (attempt.status === null || attempt.status >= 500) {
        attempt.status = attempt.status ?? null;
        needsSync = true;
        await sleep(200 + random() * 300);
      } else if (attempt.status >= 400) {
        needsSync = true;
        // A phone of a type just deleted waits out the resend cooldown (1 s here).
        if (attempt.refusal === 'resend-cooldown') await sleep(1000);
        // MAX_CODES_PER_ACCOUNT_PER_HOUR used up: this person is done for the hour, another takes the seat.
        if (attempt.refusal === 'code-limit-reached') await nextPerson();
      }
      return attempt;
    };

    /** Reads the page (read-your-writes on the last answer), until it is answered or the run is over. */
    const sync = async () => {
      while (running()) {
        try {
          const response = await fetch(`${options.url}${PAGE}?minPosition=${lastPosition}`, {
            headers: { authorization: `Bearer ${user.token}` },
            signal: AbortSignal.timeout(15_000),
          });
          if (response.ok) {
            const page = (await response.json()) as {
              methods: {
                methodId: string;
                phoneType: string;
                status: string;
                lastCode: { codeId: string } | null;
              }[];
            };
            beliefs = page.methods
              .filter((m): m is typeof m & { phoneType: PhoneType } =>
                TYPES.includes(m.phoneType as PhoneType),
              )
              .map((m) => ({
                methodId: m.methodId,
                phoneType: m.phoneType,
                verified: m.status === 'verified',
                codeId: m.lastCode?.codeId ?? null,
              }));
            needsSync = false;
            return;
          }
        } catch {
          // the API is down: try again shortly
        }
        await sleep(300 + random() * 300);
      }
    };

    /** The code of `codeId` once it is in the outbox, or null after the wait. */
    const codeOf = async (codeId: string): Promise<string | null> => {
      const until = Date.now() + options.codeWaitMs;
      while (Date.now() < until && running()) {
        const code = options.outbox.sends.get(codeId)?.[0];
        if (code) return code;
        await sleep(150);
      }
      return null;
    };

    const verify = async (belief: Belief) => {
      let codeId = belief.codeId;
      let code = codeId ? await codeOf(codeId) : null;
      if (!code && running()) {
        // Slow to come: "Send another code" (sometimes "Call me instead", for the mobile).
        const channel = belief.phoneType === 'mobile' && random() < 0.3 ? 'voice' : undefined;
        const resent = await send(
          'resend',
          'POST',
          `/phone-methods/${belief.methodId}/resend`,
          channel ? { deliveryMethod: channel } : {},
          { methodId: belief.methodId },
        );
        if (resent.status !== 202) return;
        codeId = belief.codeId = resent.answer!.codeId!;
        code = await codeOf(codeId);
      }
      if (!code || !running()) return;
      const verified = await send(
        'verify',
        'POST',
        `/phone-methods/${belief.methodId}/verify`,
        { code },
        {
          methodId: belief.methodId,
        },
      );
      if (verified.status !== 200) return;
      belief.verified = true;
      if (random() < 0.5) {
        const deliveryMethod: DeliveryMethod =
          belief.phoneType === 'mobile' && random() < 0.7 ? 'sms' : 'voice';
        await send(
          'default',
          'PUT',
          '/default-method',
          { methodId: belief.methodId, deliveryMethod },
          {
            target: { methodId: belief.methodId, deliveryMethod },
          },
        );
      }
    };

    while (running()) {
      await sleep(50 + random() * 200);
      if (needsSync) {
        await sync();
        continue;
      }
      const pending = beliefs.find((b) => !b.verified);
      if (pending) {
        await verify(pending);
        if (!pending.verified) needsSync = true;
        continue;
      }
      // An alternate phone needs a mobile first.
      const free = beliefs.some((b) => b.phoneType === 'mobile')
        ? TYPES.filter((t) => !beliefs.some((b) => b.phoneType === t))
        : (['mobile'] as const);
      if (free.length === 0 || (beliefs.length > 0 && random() < 0.15)) {
        const victim = beliefs[Math.floor(random() * beliefs.length)];
        const deleted = await send('delete', 'DELETE', `/methods/${victim.methodId}`, undefined, {
          methodId: victim.methodId,
        });
        if (deleted.status === 200) beliefs = beliefs.filter((b) => b !== victim);
        continue;
      }
      const phoneType = free[Math.floor(random() * free.length)];
      const deliveryMethod: DeliveryMethod = phoneType === 'mobile' ? 'sms' : 'voice';
      const added = await send(
        'add',
        'POST',
        '/phone-methods',
        { phoneNumber: freshNumber(), phoneType, deliveryMethod },
        { phoneType },
      );
      if (added.status !== 201) continue;
      const belief: Belief = {
        methodId: added.methodId!,
        phoneType,
        verified: false,
        codeId: added.answer!.codeId ?? null,
      };
      beliefs.push(belief);
      await verify(belief);
      if (!belief.verified) needsSync = true;
    }
  }
}
