import {
  CodeDeliveryRefusal,
  codeToSend,
  VerificationCodes,
  type CodeDeliveryAccepted,
  type CodeDeliveryBlocked,
  type CodeDeliveryFailed,
  type MethodsPolicy,
} from '@signet/domain';
import type { DispatchJob } from './dispatch-job';
import type { CodeDeliveryResult, DeliveryRecorder, OutcomeOrigin } from './delivery-recorder';
import { codeCallScript, codeMessageBody } from '../providers/message-body';
import { DeliveryError, type MessageSender } from '../providers/message-sender.port';
import { encodeDeliveryReference } from '../providers/delivery-reference';
import type { SendLimits } from './send-limits';

export type DispatchOutcome = 'accepted' | 'skipped' | 'blocked' | 'alreadyHandled';

export interface CodeDispatchOptions {
  sender: MessageSender;
  limits: SendLimits;
  codes: VerificationCodes;
  recorder: DeliveryRecorder;
  now: () => Date;
  otpDomain: string;
  maxAttempts: number;
  /** The authentication methods policy in force (a code it no longer allows is skipped); none: all allowed. */
  methodsPolicy?: () => Promise<MethodsPolicy>;
}

/**
 * Sends one code, once. The code-delivery decider says first whether the code is still worth sending (a code
 * already settled is not sent again: a job re-run after a crash or re-queued from the event log; a code
 * superseded or expired is not sent at all). Then the limits, then the provider, and every outcome is
 * recorded on the user's code-delivery stream.
 */
export class CodeDispatch {
  constructor(private readonly options: CodeDispatchOptions) {}

  /** `attempt` is 1-based. Throws DeliveryError when the provider failed (the caller decides on a retry). */
  async dispatch(job: DispatchJob, attempt: number): Promise<DispatchOutcome> {
    const { sender, limits, codes, recorder, now } = this.options;
    const { userId, methodId, codeId } = job;
    const origin: OutcomeOrigin = {
      actor: 'system:dispatcher',
      commandType: 'DispatchCode',
      correlationId: job.correlationId,
      causationId: job.codeSentEventId,
    };

    let decided: CodeDeliveryResult;
    try {
      decided = await recorder.decide(
        userId,
        {
          type: 'DispatchCode',
          data: { methodId, codeId },
          metadata: { now: now(), methodsPolicy: await this.options.methodsPolicy?.() },
        },
        origin,
      );
    } catch (error) {
      if (error instanceof CodeDeliveryRefusal && error.code === 'delivery-settled') return 'alreadyHandled';
      throw error;
    }
    if (decided.newEvents.length > 0) return 'skipped';
    const record = (outcome: CodeDeliveryAccepted | CodeDeliveryFailed | CodeDeliveryBlocked) =>
      recorder.decide(userId, { type: 'RecordDeliveryOutcome', data: { outcome } }, origin, decided);

    // The decider sends only a live code, so it is there: a registration code goes to the number it proves (a
    // pending method's own, or the new number of a pending change), a challenge's code to its verified method.
    const code = codeToSend(decided.newState, methodId, codeId)!;
    const { to } = code;

    const blocked = await limits.reserve(to, codeId, now());
    if (blocked) {
      await record({ type: 'CodeDeliveryBlocked', data: { methodId, codeId, reason: blocked } });
      return 'blocked';
    }

    const secret = codes.codeFor(codeId);
    const lifetimeSeconds = (Date.parse(code.expiresAt) - Date.parse(code.sentAt)) / 1000;
    try {
      const receipt = await sender.send({
        to,
        channel: code.channel,
        ...(code.extension ? { extension: code.extension } : {}),
        body:
          code.channel === 'sms'
            ? codeMessageBody(secret, lifetimeSeconds, this.options.otpDomain, code.purpose)
            : codeCallScript(secret, lifetimeSeconds, code.purpose),
        codeId,
        reference: encodeDeliveryReference({ userId, methodId, codeId }),
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
}
