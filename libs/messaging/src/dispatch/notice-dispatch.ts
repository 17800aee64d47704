import {
  CodeDeliveryRefusal,
  evolve,
  fold,
  maskPhoneNumber,
  noticeFacts,
  noticeRecipient,
  noticeText,
  securityChangeOf,
  securityInfoEventOf,
  securityInfoStream,
  type SecurityInfoEvent,
  type MethodsPolicy,
  type SecurityNoticeEvent,
} from '@signet/domain';
import type { EventStore } from '@signet/event-store';
import type { DispatchJob } from './dispatch-job';
import type { DeliveryRecorder, OutcomeOrigin } from './delivery-recorder';
import type { DispatchOutcome } from './code-dispatch';
import { DeliveryError, type MessageSender } from '../providers/message-sender.port';
import type { NoticeWebhook } from '../providers/http/notice-webhook';
import { encodeDeliveryReference } from '../providers/delivery-reference';
import type { SendLimits } from './send-limits';

export interface NoticeDispatchOptions {
  store: EventStore;
  sender: MessageSender;
  limits: SendLimits;
  recorder: DeliveryRecorder;
  webhook: NoticeWebhook | null;
  linkUrl: string | null;
  now: () => Date;
  maxAttempts: number;
  /** The authentication methods policy in force: a phone it no longer allows is not told. None: all allowed. */
  methodsPolicy?: () => Promise<MethodsPolicy>;
}

/**
 * Sends one security notice, once: the change is the events the request of the event that called for it
 * recorded (they share its causation id); the phone told is one the change did not just create; the signed webhook goes too when
 * configured. Same queue, providers, limits and retries as codes; the outcome is recorded on the person's
 * code-delivery stream.
 */
export class NoticeDispatch {
  constructor(private readonly options: NoticeDispatchOptions) {}

  async dispatch(job: DispatchJob, attempt: number): Promise<DispatchOutcome> {
    const { sender, limits, recorder, now, webhook } = this.options;
    const { userId, codeId: noticeId } = job;
    const origin: OutcomeOrigin = {
      actor: 'system:dispatcher',
      commandType: 'DispatchNotice',
      correlationId: job.correlationId,
      causationId: job.codeSentEventId,
    };
    let decided;
    try {
      decided = await recorder.decide(userId, { type: 'DispatchNotice', data: { noticeId } }, origin);
    } catch (error) {
      if (error instanceof CodeDeliveryRefusal && error.code === 'delivery-settled') return 'alreadyHandled';
      throw error;
    }
    const record = (outcome: SecurityNoticeEvent) =>
      recorder.decide(userId, { type: 'RecordNoticeOutcome', data: { outcome } }, origin, decided);

    const { before, change, after, at, byHelpDesk } = await this.changeOf(userId, job.codeSentEventId);
    const facts = noticeFacts(before, after, change, byHelpDesk);
    const recipient = noticeRecipient(after, change, await this.options.methodsPolicy?.());
    if (!recipient && !webhook) {
      await record({ type: 'SecurityNoticeSkipped', data: { noticeId, reason: 'noRecipient' } });
      return 'skipped';
    }
    try {
      let receipt: { providerMessageId: string } | null = null;
      if (recipient) {
        const blocked = await limits.reserve(recipient.to, noticeId, now());
        if (blocked) {
          await record({ type: 'SecurityNoticeSkipped', data: { noticeId, reason: blocked } });
          return 'blocked';
        }
        receipt = await sender.send({
          to: recipient.to,
          channel: recipient.channel,
          ...(recipient.extension ? { extension: recipient.extension } : {}),
          body: noticeText(facts, at, this.options.linkUrl),
          codeId: noticeId,
          reference: encodeDeliveryReference({ userId, methodId: recipient.methodId, codeId: noticeId }),
        });
      }
      if (webhook) {
        await webhook.send({
          type: 'security-info.changed',
          noticeId,
          userId,
          changes: facts.changes,
          changedAt: at,
          by: facts.by,
          ...(byHelpDesk ? { administrator: this.administratorOf(change) } : {}),
          maskedNumbers: facts.maskedNumbers,
          link: this.options.linkUrl,
        });
      }
      await record({
        type: 'SecurityNoticeSent',
        data: {
          noticeId,
          changes: facts.changes,
          by: facts.by,
          methodId: recipient?.methodId ?? null,
          channel: recipient?.channel ?? null,
          destination: recipient ? maskPhoneNumber(recipient.to) : null,
          provider: recipient ? sender.provider : null,
          providerMessageId: receipt?.providerMessageId ?? null,
          webhook: webhook !== null,
          attempts: attempt,
        },
      });
      return 'accepted';
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      if (error.permanent || attempt >= this.options.maxAttempts) {
        await record({
          type: 'SecurityNoticeFailed',
          data: { noticeId, reason: error.message, attempts: attempt, permanent: error.permanent },
        });
      }
      throw error;
    }
  }

  private administratorOf(change: readonly SecurityInfoEvent[]): string | null {
    const registered = change.find((e) => e.type === 'PhoneVerifiedByAdministrator');
    return registered?.type === 'PhoneVerifiedByAdministrator' ? registered.data.administrator : null;
  }

  /**
   * The change the notice is about: the events the request of `triggerId` recorded (they share its causation
   * id), the person's Security info before and after them, when, and whether the help desk made it.
   */
  private async changeOf(userId: string, triggerId: string) {
    const events: Array<{ id: string; event: SecurityInfoEvent; metadata: Record<string, unknown> }> = [];
    for await (const stored of this.options.store.readStream(securityInfoStream(userId))) {
      events.push({ id: stored.id, event: securityInfoEventOf(stored), metadata: stored.metadata });
    }
    const causation = events.find((e) => e.id === triggerId)?.metadata.causationId ?? triggerId;
    const ofRequest = (e: (typeof events)[number]) =>
      e.id === triggerId || e.metadata.causationId === causation;
    const first = events.findIndex(ofRequest);
    const ofChange = events.filter(ofRequest);
    const before = fold(events.slice(0, Math.max(0, first)).map((e) => e.event));
    const change = ofChange.map((e) => e.event);
    const after = change.reduce(evolve, before);
    const roles = (ofChange[0]?.metadata.actor as { roles?: unknown } | undefined)?.roles;
    const at = ofChange.find((e) => securityChangeOf(e.event))?.metadata.occurredAt;
    return {
      before,
      change,
      after,
      at: typeof at === 'string' ? at : this.options.now().toISOString(),
      byHelpDesk: Array.isArray(roles) && roles.includes('authenticationAdministrator'),
    };
  }
}
