import { StartupError } from '@signet/config';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';

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

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Stops a redis-server this process started (SIGTERM: it writes its data and exits). */
export async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * The embedded default's Redis: a redis-server from PATH, private to DATA_DIR (its data and a unix socket
 * there, no TCP port), started by the worker when REDIS_URL is unset and stopped when the worker stops. A
 * server already answering on the socket (a second worker on the same DATA_DIR) is shared, not owned.
 */
export class PrivateRedis {
  private constructor(private readonly child: ChildProcess | null) {}

  static async start(options: { dir: string; socket: string }): Promise<PrivateRedis> {
    if (await answersPing(options.socket)) return new PrivateRedis(null);
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    if (existsSync(options.socket)) unlinkSync(options.socket); // left by a server that was killed
    const { child } = await startRedisServer({
      dir: options.dir,
      listener: options.socket,
      persist: true,
      missing:
        'Code dispatch needs Redis and there is no redis-server on PATH. Install one ' +
        '(`sudo apt-get install redis-server`, `brew install redis`) and the worker runs a private one ' +
        'under DATA_DIR, or set REDIS_URL=redis://host:6379 to use yours.',
    });
    return new PrivateRedis(child);
  }

  /** Stops the server if this process started it. */
  async stop(): Promise<void> {
    if (this.child) await stopRedisServer(this.child);
  }
}

/** A bare RESP PING (no client library that could linger reconnecting): whether a Redis answers there. */
export function answersPing(listener: RedisListener): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = typeof listener === 'string' ? connect(listener) : connect(listener.port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
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
