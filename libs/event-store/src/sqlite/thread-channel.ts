import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** An error as a thread reports it (an Error does not cross threads as it is). */
export interface PlainError {
  kind: 'error';
  name: string;
  message: string;
  code?: string;
}

export function plainError(error: unknown): PlainError {
  const { name, message, code } = error as { name?: string; message?: string; code?: unknown };
  return {
    kind: 'error',
    name: name ?? 'Error',
    message: message ?? String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** The error a thread reported, made an Error again (its SQLite `code` kept, for asStoreFailure). */
export function errorOf(plain: PlainError): Error {
  return Object.assign(new Error(plain.message), {
    name: plain.name,
    ...(plain.code ? { code: plain.code } : {}),
  });
}

/** Where a thread's entry is: compiled beside its caller in dist/, or compiled from the TypeScript sources. */
export interface ThreadEntry {
  compiled: string;
  /** For runs from the sources (the tests, under ts-jest): see testing/writer-thread-from-sources. */
  fromSources: () => string;
}

/**
 * A worker thread that answers one request at a time, in order: `{ answer }` or `{ failure: PlainError }` for
 * each message, `null` to close. Idle, it does not keep the process alive; a request in flight does. When the
 * thread dies, the request in flight and every later one fail.
 */
export class ThreadChannel<Request, Answer> {
  private readonly worker: Worker;
  private pending: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | null = null;
  private exited: Error | null = null;

  constructor(entry: ThreadEntry, workerData: unknown, what: string) {
    this.worker = new Worker(existsSync(entry.compiled) ? entry.compiled : entry.fromSources(), {
      workerData,
    });
    this.worker.unref();
    this.worker.on('message', (message: { answer: Answer } | { failure: PlainError }) => {
      const pending = this.pending;
      this.pending = null;
      this.worker.unref();
      if ('answer' in message) pending?.resolve(message.answer);
      else pending?.reject(errorOf(message.failure));
    });
    const lost = (error: Error) => {
      this.exited = error;
      this.pending?.reject(error);
      this.pending = null;
    };
    this.worker.on('error', lost);
    this.worker.on('exit', (code) => lost(new Error(`${what} stopped (exit ${code})`)));
  }

  request(message: Request): Promise<Answer> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.ref();
    this.worker.postMessage(null);
    await exited;
  }
}

/** The thread's side: answers each request with `handle`'s result, or its error; `null` closes it. */
export function serveThreadRequests<Request, Answer>(
  port: import('node:worker_threads').MessagePort,
  handle: (request: Request) => Answer,
  close: () => void,
): void {
  port.on('message', (request: Request | null) => {
    if (request === null) {
      close();
      port.close();
      return;
    }
    try {
      port.postMessage({ answer: handle(request) });
    } catch (error) {
      port.postMessage({ failure: plainError(error) });
    }
  });
}
