import type { Decider } from '../decider';
import {
  CODE_DELIVERY_EVENT_TYPES,
  type CodeDeliveryAccepted,
  type CodeDeliveryBlocked,
  type CodeDeliveryEvent,
  type CodeDeliveryFailed,
  type CodeDeliveryProvider,
  type CodeDeliverySkipReason,
  type SecurityInfoEvent,
  type SecurityNoticeEvent,
} from './events';
import {
  evolve as evolveSecurityInfo,
  findMethod,
  initialState as noSecurityInfo,
  verificationOf,
  type SecurityInfo,
} from './security-info';
import type { DeliveryMethod } from './phone-method';
import { whyNotAllowedByPolicy, type MethodsPolicy } from '../methods-policy/methods-policy';
import type { ChallengePurpose } from '../sign-in-challenge/events';
import {
  challengeOfCode,
  evolveSignInChallenges,
  type SignInChallenge,
} from '../sign-in-challenge/sign-in-challenge';

/**
 * What the dispatcher knows about one user's codes: their Security info (which code is live for which
 * method) and, for every code ever sent, what became of it. Folded from both of the user's streams.
 */
export interface CodeDeliveryState {
  securityInfo: SecurityInfo;
  codes: Readonly<Record<string, SentCodeDelivery>>;
  /**
   * The user's sign-in challenges (from the challenge stream): a challenge's code is sent, skipped and
   * reported on like a registration code. Absent in states folded before challenges existed: none.
   */
  challenges?: Readonly<Record<string, SignInChallenge>>;
  /** Security notices with an outcome (sent, failed for good, skipped): never sent again. Absent: none. */
  notices?: Readonly<Record<string, true>>;
}

export interface SentCodeDelivery {
  methodId: string;
  /** An outcome after which the code is never sent again: accepted by a provider, skipped or blocked. */
  settled: boolean;
  /** A delivery report (delivered or undeliverable) is recorded. */
  reported: boolean;
}

/** "Send this code now?": nothing to record means yes; CodeDeliverySkipped means it is no longer worth it. */
export interface DispatchCode {
  type: 'DispatchCode';
  data: { methodId: string; codeId: string };
  /** `methodsPolicy`: the authentication methods policy in force (absent: everything allowed). */
  metadata: { now: Date; methodsPolicy?: MethodsPolicy };
}

/** What the provider (or a limit) did with a code the dispatcher tried to send. */
export interface RecordDeliveryOutcome {
  type: 'RecordDeliveryOutcome';
  data: { outcome: CodeDeliveryAccepted | CodeDeliveryFailed | CodeDeliveryBlocked };
}

/** A provider's (signature-checked) report of what became of a message. */
export interface RecordDeliveryReport {
  type: 'RecordDeliveryReport';
  data: {
    methodId: string;
    codeId: string;
    provider: CodeDeliveryProvider;
    providerMessageId: string;
    outcome: { delivered: true } | { delivered: false; reason: string };
  };
}

/** "Send this security notice now?": refused once it has an outcome (a job run twice, re-queued). */
export interface DispatchNotice {
  type: 'DispatchNotice';
  data: { noticeId: string };
}

/** What became of a security notice. */
export interface RecordNoticeOutcome {
  type: 'RecordNoticeOutcome';
  data: { outcome: SecurityNoticeEvent };
}

export type CodeDeliveryCommand =
  DispatchCode | RecordDeliveryOutcome | RecordDeliveryReport | DispatchNotice | RecordNoticeOutcome;

export type CodeDeliveryRefusalCode =
  /** An outcome is already recorded: the code was sent (or skipped, or blocked) and is never sent again. */
  | 'delivery-settled'
  /** No such code was sent for that method of this user. */
  | 'code-unknown';

export class CodeDeliveryRefusal extends Error {
  override readonly name = 'CodeDeliveryRefusal';
  constructor(
    readonly code: CodeDeliveryRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

const SETTLING: ReadonlySet<SecurityInfoEvent['type']> = new Set([
  'CodeDeliveryAccepted',
  'CodeDeliverySkipped',
  'CodeDeliveryBlocked',
]);

export const initialCodeDelivery: CodeDeliveryState = {
  securityInfo: noSecurityInfo,
  codes: {},
  challenges: {},
};

/** Pure: the events a delivery decision records, or a CodeDeliveryRefusal. */
export function decideCodeDelivery(
  command: CodeDeliveryCommand,
  state: CodeDeliveryState,
): Array<CodeDeliveryEvent | SecurityNoticeEvent> {
  switch (command.type) {
    case 'DispatchCode': {
      const { methodId, codeId } = command.data;
      if (state.codes[codeId]?.settled) {
        throw new CodeDeliveryRefusal('delivery-settled', `Code ${codeId} already has a delivery outcome.`);
      }
      const skip =
        whyNotSend(state, methodId, codeId, command.metadata.now) ??
        notAllowedByPolicy(state, methodId, codeId, command.metadata.methodsPolicy);
      return skip ? [{ type: 'CodeDeliverySkipped', data: { methodId, codeId, reason: skip } }] : [];
    }
    case 'RecordDeliveryOutcome': {
      const { outcome } = command.data;
      // Another worker got there first (a job run twice): its outcome stands.
      return state.codes[outcome.data.codeId]?.settled ? [] : [outcome];
    }
    case 'DispatchNotice': {
      if (state.notices?.[command.data.noticeId]) {
        throw new CodeDeliveryRefusal(
          'delivery-settled',
          `Notice ${command.data.noticeId} already has an outcome.`,
        );
      }
      return [];
    }
    case 'RecordNoticeOutcome': {
      const { outcome } = command.data;
      return state.notices?.[outcome.data.noticeId] ? [] : [outcome];
    }
    case 'RecordDeliveryReport': {
      const { methodId, codeId, provider, providerMessageId, outcome } = command.data;
      const code = state.codes[codeId];
      if (!code || code.methodId !== methodId) {
        throw new CodeDeliveryRefusal('code-unknown', 'No such code was sent.');
      }
      // Providers report again when they are not sure the first report arrived: the first one stands.
      if (code.reported) return [];
      const base = { methodId, codeId, provider, providerMessageId };
      return [
        outcome.delivered
          ? { type: 'CodeDelivered', data: base }
          : { type: 'CodeUndeliverable', data: { ...base, reason: outcome.reason } },
      ];
    }
  }
}

/** Pure: Security info events keep the page's state; delivery events mark what became of each code. */
export function evolveCodeDelivery(state: CodeDeliveryState, event: SecurityInfoEvent): CodeDeliveryState {
  if (
    event.type === 'SignInChallengeStarted' ||
    event.type === 'SignInChallengeCodeSent' ||
    event.type === 'SignInChallengeFailed' ||
    event.type === 'SignInChallengeSucceeded'
  ) {
    const next = evolveSignInChallenges(
      {
        securityInfo: state.securityInfo,
        challenges: state.challenges ?? {},
        recentCodes: [],
        recentFailures: [],
      },
      event,
    );
    const codes =
      event.type === 'SignInChallengeCodeSent'
        ? {
            ...state.codes,
            [event.data.codeId]: { methodId: event.data.methodId, settled: false, reported: false },
          }
        : state.codes;
    return { securityInfo: next.securityInfo, codes, challenges: next.challenges };
  }
  if (event.type === 'CodeSent') {
    const { codeId, methodId } = event.data;
    return {
      ...state,
      securityInfo: evolveSecurityInfo(state.securityInfo, event),
      codes: { ...state.codes, [codeId]: { methodId, settled: false, reported: false } },
    };
  }
  if (
    event.type === 'SecurityNoticeSent' ||
    event.type === 'SecurityNoticeFailed' ||
    event.type === 'SecurityNoticeSkipped'
  ) {
    return { ...state, notices: { ...state.notices, [event.data.noticeId]: true } };
  }
  if (isDeliveryEvent(event)) {
    const code = state.codes[event.data.codeId];
    if (!code) return state;
    const reported = event.type === 'CodeDelivered' || event.type === 'CodeUndeliverable';
    const changed: SentCodeDelivery = {
      ...code,
      settled: code.settled || SETTLING.has(event.type),
      reported: code.reported || reported,
    };
    return { ...state, codes: { ...state.codes, [event.data.codeId]: changed } };
  }
  return { ...state, securityInfo: evolveSecurityInfo(state.securityInfo, event) };
}

export const codeDeliveryDecider: Decider<CodeDeliveryState, CodeDeliveryCommand, SecurityInfoEvent> = {
  decide: decideCodeDelivery,
  evolve: evolveCodeDelivery,
  initialState: () => initialCodeDelivery,
};

const DELIVERY_EVENT_TYPES: ReadonlySet<SecurityInfoEvent['type']> = new Set(CODE_DELIVERY_EVENT_TYPES);

export function isDeliveryEvent(event: SecurityInfoEvent): event is CodeDeliveryEvent {
  return DELIVERY_EVENT_TYPES.has(event.type);
}

/** Why a code is no longer worth sending, or null: it is its method's (or its challenge's) live code. */
function whyNotSend(
  state: CodeDeliveryState,
  methodId: string,
  codeId: string,
  now: Date,
): CodeDeliverySkipReason | null {
  const ofChallenge = challengeOfCode({ challenges: state.challenges ?? {} }, codeId);
  if (ofChallenge) {
    const { challenge, code } = ofChallenge;
    if (findMethod(state.securityInfo, code.methodId)?.status !== 'verified') return 'methodGone';
    if (challenge.succeededAt !== null) return 'challengeCompleted';
    if (challenge.codes.at(-1)?.codeId !== codeId) return 'superseded';
    return now.getTime() >= Date.parse(code.expiresAt) ? 'expired' : null;
  }
  const method = findMethod(state.securityInfo, methodId);
  if (!method) return 'methodGone';
  // A verified method's codes are live only while a change of its number waits for them.
  const verification = verificationOf(method);
  if (!verification) return 'methodVerified';
  const latest = verification.codes.at(-1);
  if (latest?.codeId !== codeId) return 'superseded';
  return now.getTime() >= Date.parse(latest.expiresAt) ? 'expired' : null;
}

/** A live code whose phone, channel or country the policy no longer allows is not sent ("receive no codes"). */
function notAllowedByPolicy(
  state: CodeDeliveryState,
  methodId: string,
  codeId: string,
  policy: MethodsPolicy | undefined,
): CodeDeliverySkipReason | null {
  const code = policy && codeToSend(state, methodId, codeId);
  const method =
    code &&
    findMethod(
      state.securityInfo,
      challengeOfCode({ challenges: state.challenges ?? {} }, codeId)?.code.methodId ?? methodId,
    );
  if (!policy || !code || !method) return null;
  return whyNotAllowedByPolicy(policy, method.phoneType, code.channel, code.to) ? 'notAllowedByPolicy' : null;
}

/** What a live code is for: a registration (proving a phone or a new number), or a challenge's purpose. */
export type CodePurpose = 'verification' | ChallengePurpose;

/** Where and how a code goes, as the dispatcher sends it. */
export interface CodeToSend {
  purpose: CodePurpose;
  /** E.164. */
  to: string;
  extension: string | null;
  channel: DeliveryMethod;
  sentAt: string;
  expiresAt: string;
}

/**
 * The live code `codeId` of `methodId` and where it goes (a registration code to the number it proves, a
 * challenge's code to its verified method's number); null when it is not live (DispatchCode would skip it).
 */
export function codeToSend(state: CodeDeliveryState, methodId: string, codeId: string): CodeToSend | null {
  const ofChallenge = challengeOfCode({ challenges: state.challenges ?? {} }, codeId);
  if (ofChallenge) {
    const { challenge, code } = ofChallenge;
    const method = findMethod(state.securityInfo, code.methodId);
    if (!method || code.methodId !== methodId) return null;
    const { channel, sentAt, expiresAt } = code;
    const to = method.phoneNumber;
    return { purpose: challenge.purpose, to, extension: method.extension, channel, sentAt, expiresAt };
  }
  const method = findMethod(state.securityInfo, methodId);
  const verification = method && verificationOf(method);
  const code = verification?.codes.at(-1);
  if (!verification || code?.codeId !== codeId) return null;
  return {
    purpose: 'verification',
    to: verification.phoneNumber,
    extension: verification.extension,
    channel: code.channel,
    sentAt: code.sentAt,
    expiresAt: code.expiresAt,
  };
}
