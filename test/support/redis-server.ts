import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A private redis-server for one test file: a free port, data in a temp dir, never the shared one on 6379.
 * It can be stopped and started again on the same port and data (with `SHUTDOWN SAVE`), or killed.
 */
export class RedisServer {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    try {
      execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        'These tests need redis-server on PATH (they start a private one). Install it: ' +
          '`sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS).',
      );
    }
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'signet-redis-')));
    await server.restart();
    return server;
  }

  /** Starts (again) on the same port and data directory; resolves once it answers PING. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    for (let tries = 0; !(await answersPing(this.port)); tries++) {
      if (child.exitCode !== null || tries > 400) throw new Error('redis-server did not start');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: null });
  }

  /** Stops it; `keepData` saves a snapshot first, so `restart()` comes back with every key. */
  async stop(keepData = true): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (keepData) {
      const client = new Redis(this.url, { maxRetriesPerRequest: 0 });
      await client.call('SHUTDOWN', 'SAVE').catch(() => undefined);
      client.disconnect();
    } else {
      child.kill('SIGKILL');
    }
    await exited;
    this.child = null;
  }

  async destroy(): Promise<void> {
    await this.stop(false);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A bare RESP PING over TCP: no client library that could linger reconnecting. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}
