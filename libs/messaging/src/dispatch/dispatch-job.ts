/** The BullMQ queue every code goes through. */
export const DISPATCH_QUEUE = 'code-dispatch';

/**
 * One job per code, with the code id as the job id. Only ids: the worker derives the code from the server
 * secret and checks the user's stream before sending, so nothing secret sits in Redis.
 */
export interface DispatchJob {
  codeId: string;
  userId: string;
  methodId: string;
  /** The CodeSent event: its id becomes the outcome's causationId, its correlationId is carried on. */
  codeSentEventId: string;
  correlationId: string | null;
}
