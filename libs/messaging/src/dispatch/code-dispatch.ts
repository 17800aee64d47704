import {
  evolve,
  findMethod,
  initialState,
  securityInfoStream,
  VerificationCodes,
  type CodeDeliveryEvent,
  type CodeDeliverySkipReason,
  type PhoneMethod,
  type SecurityInfo,
  type SecurityInfoEvent,
} from '@signet/domain';
import type { EventStore } from '@signet/event-store';
import type { DispatchJob } from './dispatch-job';
import type { DeliveryRecorder, OutcomeOrigin } from './delivery-recorder';
import { codeCallScript, codeMessageBody } from '../providers/message-body';
import { DeliveryError, type MessageSender } from '../providers/message-sender.port';
import { encodeDeliveryReference } from '../providers/delivery-reference';
import type { SendLimits } from './send-limits';

export type DispatchOutcome = 'accepted' | 'skipped' | 'blocked' | 'alreadyHandled';

export interface CodeDispatchOptions {
  store: EventStore;
  sender: MessageSender;
  limits: SendLimits;
  codes: VerificationCodes;
  recorder: DeliveryRecorder;
  now: () => Date;
  otpDomain: string;
  maxAttempts: number;
}

/** Outcomes after which a code is never sent again (a failure may be retried by an operator). */
const SETTLED: ReadonlySet<string> = new Set([
  'CodeDeliveryAccepted',
  'CodeDeliverySkipped',
  'CodeDeliveryBlocked',
]);

/**
 * Sends one code, once. Reads the user's stream first: a code already settled is not sent again (a job
 * re-run after a crash or re-queued from the event log), a code superseded or expired is not sent at all.
 * Then the limits, then the provider, and every outcome goes back on the stream.
 */
export class CodeDispatch {
  constructor(private readonly options: CodeDispatchOptions) {}

  /** `attempt` is 1-based. Throws DeliveryError when the provider failed (the caller decides on a retry). */
  async dispatch(job: DispatchJob, attempt: number): Promise<DispatchOutcome> {
    const { store, sender, limits, codes, now } = this.options;
    const { state, settled } = await this.history(store, job);
    if (settled) return 'alreadyHandled';

    const origin: OutcomeOrigin = {
      actor: 'system:dispatcher',
      commandType: 'DispatchCode',
      correlationId: job.correlationId,
      causationId: job.codeSentEventId,
    };
    const record = (event: CodeDeliveryEvent) => this.options.recorder.record(job.userId, event, origin);
    const { methodId, codeId } = job;

    const method = findMethod(state, methodId);
    const code = method?.codes.at(-1);
    const skip = whyNotSend(method, codeId, now());
    if (skip || !method || !code) {
      await record({ type: 'CodeDeliverySkipped', data: { methodId, codeId, reason: skip ?? 'superseded' } });
      return 'skipped';
    }

    const blocked = await limits.reserve(method.phoneNumber, codeId, now());
    if (blocked) {
      await record({ type: 'CodeDeliveryBlocked', data: { methodId, codeId, reason: blocked } });
      return 'blocked';
    }

    const secret = codes.codeFor(codeId);
    const lifetimeSeconds = (Date.parse(code.expiresAt) - Date.parse(code.sentAt)) / 1000;
    try {
      const receipt = await sender.send({
        to: method.phoneNumber,
        channel: code.channel,
        body:
          code.channel === 'sms'
            ? codeMessageBody(secret, lifetimeSeconds, this.options.otpDomain)
            : codeCallScript(secret, lifetimeSeconds),
        codeId,
        reference: encodeDeliveryReference({ userId: job.userId, methodId, codeId }),
      });
      await record({
        type: 'CodeDeliveryAccepted',
        data: {
          methodId,
          codeId,
          provider: sender.provider,
          providerMessageId: receipt.providerMessageId,
          attempts: attempt,
        },
      });
      return 'accepted';
    } catch (caught) {
      if (!(caught instanceof DeliveryError)) throw caught;
      // A provider may echo the message back in its error: the code must not reach the log or the events.
      const error = new DeliveryError(caught.message.split(secret).join('######'), caught.permanent);
      if (error.permanent || attempt >= this.options.maxAttempts) {
        await record({
          type: 'CodeDeliveryFailed',
          data: {
            methodId,
            codeId,
            provider: sender.provider,
            reason: error.message,
            attempts: attempt,
            permanent: error.permanent,
          },
        });
      }
      throw error;
    }
  }

  private async history(
    store: EventStore,
    job: DispatchJob,
  ): Promise<{ state: SecurityInfo; settled: boolean }> {
    let state = initialState;
    let settled = false;
    for await (const recorded of store.readStream(securityInfoStream(job.userId))) {
      const event = { type: recorded.type, data: recorded.data } as SecurityInfoEvent;
      state = evolve(state, event);
      if (SETTLED.has(event.type) && (event.data as { codeId?: string }).codeId === job.codeId)
        settled = true;
    }
    return { state, settled };
  }
}

/** Why a code is no longer worth sending, or null: it is the method's live code. */
function whyNotSend(
  method: PhoneMethod | undefined,
  codeId: string,
  now: Date,
): CodeDeliverySkipReason | null {
  if (!method) return 'methodGone';
  if (method.status === 'verified') return 'methodVerified';
  const latest = method.codes.at(-1);
  if (latest?.codeId !== codeId) return 'superseded';
  return now.getTime() >= Date.parse(latest.expiresAt) ? 'expired' : null;
}
