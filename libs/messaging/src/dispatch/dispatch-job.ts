/** The BullMQ queue every code goes through. */
export const DISPATCH_QUEUE = 'code-dispatch';

/**
 * One job per code, with the code id as the job id; a security notice is a job too (`kind: notice`), its id
 * `notice-<the id of the event that called for it>` in `codeId`, that event's id in `codeSentEventId`. Only ids: the worker derives the code from the server
 * secret and checks the user's stream before sending, so nothing secret sits in Redis.
 */
export interface DispatchJob {
  codeId: string;
  userId: string;
  methodId: string;
  /** The CodeSent event: its id becomes the outcome's causationId, its correlationId is carried on. */
  codeSentEventId: string;
  correlationId: string | null;
  /**
   * Which kind of code: a registration code (`verification`; jobs queued before challenges existed have
   * none) or a sign-in challenge's (`signIn`, `passwordReset`). The worker takes the kind (and the message
   * text) from the user's streams, not from Redis; this is for the logs and whoever reads the queue.
   */
  kind?: 'verification' | 'signIn' | 'passwordReset' | 'notice';
}
