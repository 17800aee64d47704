import { StartupError } from '@signet/config';

/** Thrown (as a rejection) by every call on a store after `close()`, whichever adapter it is. */
export class EventStoreClosedError extends Error {
  override readonly name = 'EventStoreClosedError';
  constructor() {
    super('The event store is closed');
  }
}

/** The event store did not answer (in time). Its message names the server and EVENTSTORE_URL. */
export class EventStoreUnavailableError extends StartupError {
  override readonly name: string = 'EventStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
