import { StartupError } from '@signet/config';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Logger } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export class RedisUnavailableError extends StartupError {
  override readonly name: string = 'RedisUnavailableError';
}

/** Where a redis-server listens: a unix socket path, or a TCP port on 127.0.0.1. */
export type RedisListener = string | { port: number };

/**
 * Starts a redis-server with its data in `dir`, listening on `listener` only (`{ port: 0 }`: a free TCP port),
 * and resolves once it answers PING, with where it listens. `persist`: jobs and limits survive a restart
 * (append-only file, flushed every second); off for throwaway ones. Throws `RedisUnavailableError` with
 * `missing` as its message when there is no redis-server on PATH.
 */
export async function startRedisServer<Listener extends RedisListener>(options: {
  dir: string;
  listener: Listener;
  persist: boolean;
  missing: string;
}): Promise<{ child: ChildProcess; listener: Listener }> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new RedisUnavailableError(options.missing);
  }
  const asked: RedisListener = options.listener;
  const listener = (
    typeof asked !== 'string' && asked.port === 0 ? { port: await freeLoopbackPort() } : asked
  ) as Listener;
  const listen =
    typeof listener === 'string'
      ? ['--port', '0', '--unixsocket', listener, '--unixsocketperm', '700']
      : ['--port', String(listener.port), '--bind', '127.0.0.1'];
  const persistence = options.persist ? ['--appendonly', 'yes'] : ['--appendonly', 'no'];
  const child = spawn('redis-server', [...listen, '--dir', options.dir, ...persistence, '--save', ''], {
    stdio: 'ignore',
  });
  for (let tries = 0; !(await answersPing(listener)); tries++) {
    if (child.exitCode !== null || tries > 400) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(`The redis-server in ${options.dir} did not start`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { child, listener };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Stops a redis-server this process started (SIGTERM: it writes its data and exits); killed after `deadlineMs`. */
export async function stopRedisServer(child: ChildProcess, deadlineMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

export interface PrivateRedisOptions {
  dir: string;
  socket: string;
  /** How often the server is checked (PING) between the exits this process sees itself. */
  checkEveryMs?: number;
  /** Restarts tried in a row before giving up (`onLost`). */
  maxRestartAttempts?: number;
  /** It is gone and will not come back: the worker should exit so that its supervisor restarts it. */
  onLost?: (error: Error) => void;
  log?: Pick<Logger, 'log' | 'warn' | 'error'>;
}

const MISSING_REDIS =
  'Code dispatch needs Redis and there is no redis-server on PATH. Install one ' +
  '(`sudo apt-get install redis-server`, `brew install redis`) and the worker runs a private one ' +
  'under DATA_DIR, or set REDIS_URL=redis://host:6379 to use yours.';

/**
 * The embedded default's Redis: a redis-server from PATH, private to DATA_DIR (its data and a unix socket
 * there, no TCP port), started by the worker when REDIS_URL is unset and stopped when the worker stops.
 *
 * Its owner (the worker that started it, named in `owner.pid` beside its data) keeps it alive: when it dies
 * (killed, crashed) the owner starts it again at once on the same append-only file, so queued jobs, the
 * dispatcher's checkpoint and the limits come back (at most the last second of writes is lost, which the
 * dispatcher re-queues from the event log and the worker recognises as already sent). If it will not start
 * again, `onLost` is called. A server already answering on the socket is shared when its owner is alive (a
 * second worker on the same DATA_DIR), and adopted when its owner is gone (the worker was killed and
 * restarted): an adopted one is watched, restarted and stopped like one started here.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private owner = false;
  private stopping = false;
  private restarting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Pick<Logger, 'log' | 'warn' | 'error'>;

  private constructor(private readonly options: PrivateRedisOptions) {
    this.log = options.log ?? new Logger('PrivateRedis');
  }

  static async start(options: PrivateRedisOptions): Promise<PrivateRedis> {
    const redis = new PrivateRedis(options);
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    if (await answersPing(options.socket)) {
      const owner = redis.recordedOwner();
      if (owner !== null && owner !== process.pid && isAlive(owner)) {
        redis.log.log(`Sharing the private redis-server on ${options.socket} (its owner is pid ${owner})`);
      } else {
        redis.takeOwnership();
        redis.log.log(`Adopted the private redis-server on ${options.socket} (its owner is gone)`);
      }
    } else {
      await redis.spawn();
    }
    redis.timer = setInterval(() => void redis.check(), options.checkEveryMs ?? 1000);
    redis.timer.unref();
    return redis;
  }

  /** Whether this worker owns (started or adopted) the server, and so restarts and stops it. */
  get owns(): boolean {
    return this.owner;
  }

  private get ownerFile(): string {
    return join(this.options.dir, 'owner.pid');
  }

  private recordedOwner(): number | null {
    try {
      const pid = Number(readFileSync(this.ownerFile, 'utf8').trim());
      return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  private takeOwnership(): void {
    this.owner = true;
    writeFileSync(this.ownerFile, String(process.pid), { mode: 0o600 });
  }

  private async spawn(): Promise<void> {
    if (existsSync(this.options.socket)) unlinkSync(this.options.socket); // left by a server that was killed
    const { child } = await startRedisServer({
      dir: this.options.dir,
      listener: this.options.socket,
      persist: true,
      missing: MISSING_REDIS,
    });
    this.child = child;
    this.takeOwnership();
    this.log.log(`Private redis-server started (pid ${child.pid}) on ${this.options.socket}`);
    child.once('exit', (code, signal) => {
      if (this.stopping || this.child !== child) return;
      this.log.error(
        `The private redis-server (pid ${child.pid}) stopped (${signal ?? `exit ${code}`}); ` +
          'starting it again on its append-only file',
      );
      void this.restart();
    });
  }

  /** Between exits: a server that stopped answering is started again by its owner, or by a sharer whose owner is gone. */
  private async check(): Promise<void> {
    if (this.stopping || this.restarting || (await answersPing(this.options.socket))) return;
    if (this.stopping || this.restarting) return;
    if (!this.owner) {
      const owner = this.recordedOwner();
      if (owner !== null && isAlive(owner)) return; // its owner restarts it
    }
    this.log.error(`The private redis-server on ${this.options.socket} does not answer; starting it again`);
    await this.restart();
  }

  private restart(): Promise<void> {
    this.restarting ??= (async () => {
      const attempts = this.options.maxRestartAttempts ?? 5;
      let lastError: unknown;
      for (let attempt = 1; attempt <= attempts && !this.stopping; attempt++) {
        try {
          if (this.child && this.child.exitCode === null && this.child.signalCode === null)
            await stopRedisServer(this.child, 2000); // alive but not answering: replaced
          if (await answersPing(this.options.socket)) return; // another worker got there first
          await this.spawn();
          return;
        } catch (error) {
          lastError = error;
          this.log.warn(
            `Starting the private redis-server again failed (attempt ${attempt}): ${String(error)}`,
          );
          await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
        }
      }
      if (this.stopping) return;
      const message = `The private redis-server in ${this.options.dir} would not start again after ${attempts} attempts`;
      const error = new RedisUnavailableError(message, { cause: lastError });
      this.log.error(message);
      this.options.onLost?.(error);
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  /** Stops the server if this process owns it (within `deadlineMs`); a shared one is left running. */
  async stop(deadlineMs = 5000): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    if (!this.owner) return;
    if (this.recordedOwner() === process.pid) rmSync(this.ownerFile, { force: true });
    if (this.child) {
      await stopRedisServer(this.child, deadlineMs);
    } else {
      // Adopted: no child to signal, so ask it over its socket (it writes its data, then exits).
      await shutdownOverSocket(this.options.socket, deadlineMs);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SHUTDOWN over a bare RESP connection, then waits (at most `deadlineMs`) until nothing answers there. */
async function shutdownOverSocket(socketPath: string, deadlineMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const socket = connect(socketPath);
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.once('connect', () => socket.write('SHUTDOWN\r\n'));
    socket.once('close', done);
    socket.once('error', done);
    setTimeout(done, deadlineMs).unref();
  });
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline && (await answersPing(socketPath))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A bare RESP PING (no client library that could linger reconnecting): whether a Redis answers there. */
export function answersPing(listener: RedisListener, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = typeof listener === 'string' ? connect(listener) : connect(listener.port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
    // A server that accepts but never answers (stopped, wedged) does not answer.
    socket.setTimeout(timeoutMs, () => done(false));
  });
}

/** Where the dispatch queue lives, for messages (never the URL's credentials). */
export function redisLocation(dispatch: {
  redisUrl: string;
  privateRedis: { socket: string } | null;
}): string {
  if (dispatch.privateRedis) return `the private redis-server on ${dispatch.privateRedis.socket}`;
  const url = new URL(dispatch.redisUrl);
  return `Redis at ${url.host}`;
}
