import type { PagePolicy } from '@signet/domain';
import {
  evolvePageState,
  initialPageState,
  renderSecurityInfoPage,
  securityInfoEventOf,
  securityInfoStream,
  streamsOfUser,
  type SecurityInfoPage,
} from '@signet/domain';
import type { EventStore, RecordedEvent } from '@signet/event-store';
import type { Attempt } from './load';
import type { OutboxReader } from './load';

/** Every event of the store, in log order. */
export async function readLog(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

export interface CodeFacts {
  codeId: string;
  userId: string;
  methodId: string;
  position: bigint;
  expiresAt: string;
  /** Its method's live code when the run ended: the latest code of a method neither deleted, proven with another code nor changed since, and not expired. */
  live: boolean;
  /** The method was proven with this very code (so the person had it: it must have been sent). */
  usedToVerify: boolean;
  /** The worker recorded what became of it (accepted, skipped, blocked or failed). */
  outcome: string | null;
}

const SUPERSEDING = new Set([
  'CodeSent',
  'MethodDeleted',
  'PhoneVerified',
  'PhoneNumberChangeStarted',
  'PhoneNumberChangeCancelled',
  'PhoneNumberChanged',
]);
const OUTCOMES = new Set([
  'CodeDeliveryAccepted',
  'CodeDeliverySkipped',
  'CodeDeliveryBlocked',
  'CodeDeliveryFailed',
]);

function userOf(streamId: string): string | null {
  return /^securityInfo-(.+)$/.exec(streamId)?.[1] ?? null;
}

/**
 * Which codes had to be sent. A code *must* be sent exactly once when it was still its method's live code at
 * the end of the run (no later code, deletion, proof or number change for its method, and not expired), or
 * when the method was proven with it (the person read it from the outbox). Any other code — superseded,
 * for a method deleted or proven with another code, or expired — may have been skipped or sent, but at most once.
 */
export function codeFacts(log: RecordedEvent[], now: Date): CodeFacts[] {
  const codes = new Map<string, CodeFacts>();
  const byMethod = new Map<string, CodeFacts[]>();
  for (const event of log) {
    const data = event.data as { methodId?: string; codeId?: string; expiresAt?: string };
    if (event.type === 'CodeSent' && userOf(event.streamId)) {
      const facts: CodeFacts = {
        codeId: data.codeId!,
        userId: userOf(event.streamId)!,
        methodId: data.methodId!,
        position: event.position,
        expiresAt: data.expiresAt!,
        live: Date.parse(data.expiresAt!) > now.getTime(),
        usedToVerify: false,
        outcome: null,
      };
      for (const earlier of byMethod.get(facts.methodId) ?? []) earlier.live = false;
      codes.set(facts.codeId, facts);
      byMethod.set(facts.methodId, [...(byMethod.get(facts.methodId) ?? []), facts]);
      continue;
    }
    if (OUTCOMES.has(event.type) && data.codeId && codes.has(data.codeId)) {
      codes.get(data.codeId)!.outcome ??= event.type.replace('CodeDelivery', '').toLowerCase();
      continue;
    }
    if (SUPERSEDING.has(event.type) && data.methodId) {
      for (const code of byMethod.get(data.methodId) ?? []) {
        if (event.type === 'PhoneVerified' && code.codeId === data.codeId) code.usedToVerify = true;
        code.live = false;
      }
    }
  }
  return [...codes.values()];
}

/**
 * The page built from scratch: the user's streams (Security info and code delivery) merged in log order and
 * folded with the domain's `evolvePageState`, rendered as the API renders it at `now`.
 */
export function pageFromLog(
  log: RecordedEvent[],
  userId: string,
  view: { now: Date; policy: PagePolicy },
): SecurityInfoPage {
  const streams = new Set(streamsOfUser(userId));
  let state = initialPageState;
  let revision: bigint | null = null;
  let updatedAt: string | null = null;
  for (const event of log) {
    if (!streams.has(event.streamId)) continue;
    state = evolvePageState(state, securityInfoEventOf(event));
    if (event.streamId !== securityInfoStream(userId)) continue;
    revision = event.revision;
    updatedAt = (event.metadata.occurredAt as string | undefined) ?? null;
  }
  return renderSecurityInfoPage(
    userId,
    state.securityInfo,
    { revision, updatedAt },
    { ...view, deliveries: state.deliveries },
  );
}

/** JSON with sorted keys: equal values print equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const ok = (a: Attempt) => a.status !== null && a.status >= 200 && a.status < 300;
/** Sent, and it may have taken effect: answered 2xx, or not answered at all (or 5xx). */
const mayHaveApplied = (a: Attempt) => a.status === null || a.status >= 500 || ok(a);

export interface ClientLogFindings {
  /** 2xx commands with no event of theirs (by correlation id) in the log. */
  lost: Attempt[];
  /** Facts a 2xx answer established that the final page contradicts, in words. */
  missing: string[];
  methodsChecked: number;
  defaultsChecked: number;
  /** 2xx facts a later unanswered command may have undone (not checkable). */
  undetermined: number;
}

/**
 * What the 2xx answers promised, against the log and the final pages:
 * - every 2xx command that records something (all but a default change answered `changed: false`) has its
 *   events in the log, found by the correlation id the client sent;
 * - a phone whose add was answered 201 is on the page (verified, if a verify of it was answered 200), unless a
 *   delete of it was answered 200 (then it is absent), or a later command that was not answered may have
 *   deleted or replaced it (undetermined);
 * - the default is the last default change answered 200, unless a later default change or a delete of that
 *   method may have taken effect.
 */
export function checkClientLog(
  attempts: Attempt[],
  log: RecordedEvent[],
  pages: Map<string, SecurityInfoPage>,
): ClientLogFindings {
  const correlations = new Set(log.map((e) => e.metadata.correlationId as string | undefined));
  const findings: ClientLogFindings = {
    lost: [],
    missing: [],
    methodsChecked: 0,
    defaultsChecked: 0,
    undetermined: 0,
  };
  for (const attempt of attempts) {
    if (!ok(attempt)) continue;
    if (attempt.kind === 'default' && attempt.answer?.changed === false) continue;
    if (!correlations.has(attempt.correlationId)) findings.lost.push(attempt);
  }
  const byUser = new Map<string, Attempt[]>();
  for (const attempt of attempts)
    byUser.set(attempt.userId, [...(byUser.get(attempt.userId) ?? []), attempt]);
  for (const [userId, mine] of byUser) {
    mine.sort((a, b) => a.seq - b.seq);
    const page = pages.get(userId)!;
    mine.forEach((add, i) => {
      if (add.kind !== 'add' || !ok(add)) return;
      const methodId = add.methodId!;
      const later = mine.slice(i + 1);
      const shown = page.methods.find((m) => m.methodId === methodId);
      const deletes = later.filter((a) => a.kind === 'delete' && a.methodId === methodId);
      if (deletes.some(ok)) {
        findings.methodsChecked++;
        if (shown) findings.missing.push(`${userId}: method ${methodId} deleted (200) is still on the page`);
        return;
      }
      const verifiedAt = later.findIndex((a) => a.kind === 'verify' && a.methodId === methodId && ok(a));
      const replacedBy = later.findIndex(
        (a, j) =>
          a.kind === 'add' &&
          a.phoneType === add.phoneType &&
          mayHaveApplied(a) &&
          (verifiedAt < 0 || j < verifiedAt),
      );
      if (deletes.some(mayHaveApplied) || replacedBy >= 0) {
        findings.undetermined++;
        return;
      }
      findings.methodsChecked++;
      if (!shown) findings.missing.push(`${userId}: method ${methodId} added (201) is not on the page`);
      else if (verifiedAt >= 0 && shown.status !== 'verified')
        findings.missing.push(`${userId}: method ${methodId} verified (200) shows as ${shown.status}`);
    });
    const lastDefault = mine
      .map((a, i) => [a, i] as const)
      .filter(([a]) => a.kind === 'default' && ok(a))
      .pop();
    if (lastDefault) {
      const [put, i] = lastDefault;
      const undone = mine
        .slice(i + 1)
        .some(
          (a) =>
            mayHaveApplied(a) &&
            (a.kind === 'default' || (a.kind === 'delete' && a.methodId === put.target!.methodId)),
        );
      if (undone) findings.undetermined++;
      else {
        findings.defaultsChecked++;
        const shown = page.defaultMethod;
        if (shown?.methodId !== put.target!.methodId || shown.deliveryMethod !== put.target!.deliveryMethod) {
          findings.missing.push(
            `${userId}: default changed (200) to ${put.target!.methodId}/${put.target!.deliveryMethod}, the page shows ${
              shown ? `${shown.methodId}/${shown.deliveryMethod}` : 'none'
            }`,
          );
        }
      }
    }
  }
  return findings;
}

export interface CodeFindings {
  recorded: number;
  mustSend: number;
  mustSendSentOnce: number;
  /** Codes that had to be sent and are not in the outbox. */
  lost: CodeFacts[];
  /** Codes in the outbox more than once. */
  duplicated: string[];
  /** Outbox lines whose code id no CodeSent recorded. */
  unknown: string[];
  supersededSent: number;
  supersededNotSent: number;
  /** Codes with no delivery outcome recorded (a superseded code whose job was never re-queued: not a loss). */
  noOutcome: number;
}

export function checkCodes(facts: CodeFacts[], outbox: OutboxReader): CodeFindings {
  const known = new Set(facts.map((f) => f.codeId));
  const findings: CodeFindings = {
    recorded: facts.length,
    mustSend: 0,
    mustSendSentOnce: 0,
    lost: [],
    duplicated: [...outbox.sends].filter(([, sends]) => sends.length > 1).map(([codeId]) => codeId),
    unknown: [...outbox.sends.keys()].filter((codeId) => !known.has(codeId)),
    supersededSent: 0,
    supersededNotSent: 0,
    noOutcome: facts.filter((f) => f.outcome === null).length,
  };
  for (const code of facts) {
    const sends = outbox.sends.get(code.codeId)?.length ?? 0;
    if (code.live || code.usedToVerify) {
      findings.mustSend++;
      if (sends === 1) findings.mustSendSentOnce++;
      if (sends === 0) findings.lost.push(code);
    } else if (sends > 0) findings.supersededSent++;
    else findings.supersededNotSent++;
  }
  return findings;
}
