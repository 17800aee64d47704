import { startRedisServer } from '@signet/messaging';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const missing =
  'These tests need redis-server on PATH (they start a private one). Install it: ' +
  '`sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS).';

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

  /** A new server on a free port. */
  static async start(): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'signet-redis-'));
    const { child, listener } = await startRedisServer({
      dir,
      listener: { port: 0 },
      persist: false,
      missing,
    });
    const server = new RedisServer(listener.port, dir);
    server.child = child;
    return server;
  }

  /** Starts again on the same port and data directory; resolves once it answers PING. */
  async restart(): Promise<void> {
    const listener = { port: this.port };
    this.child = (await startRedisServer({ dir: this.dir, listener, persist: false, missing })).child;
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
