import { StartupError } from '@signet/config';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';

export class RedisUnavailableError extends StartupError {
  override readonly name: string = 'RedisUnavailableError';
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
    if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0)
      throw new RedisUnavailableError(
        'Code dispatch needs Redis and there is no redis-server on PATH. Install one ' +
          '(`sudo apt-get install redis-server`, `brew install redis`) and the worker runs a private one ' +
          'under DATA_DIR, or set REDIS_URL=redis://host:6379 to use yours.',
      );
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    if (existsSync(options.socket)) unlinkSync(options.socket); // left by a server that was killed
    const child = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--unixsocket',
        options.socket,
        '--unixsocketperm',
        '700',
        '--dir',
        options.dir,
        // Jobs and limits survive a restart: append-only file, flushed every second.
        '--appendonly',
        'yes',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    for (let tries = 0; !(await answersPing(options.socket)); tries++) {
      if (child.exitCode !== null || tries > 400) {
        child.kill('SIGKILL');
        throw new RedisUnavailableError(`The private redis-server in ${options.dir} did not start`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return new PrivateRedis(child);
  }

  /** Stops the server if this process started it (SIGTERM: redis-server writes its data and exits). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** A bare RESP PING: whether a Redis answers on this unix socket. */
export function answersPing(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
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
