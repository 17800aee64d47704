import { startRedisServer, stopRedisServer } from '@signet/messaging';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSecondsOf } from './measure';

/** The bench's own private redis-server: a free port on 127.0.0.1, data in a temp dir, no persistence. */
export class BenchRedis {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** CPU time the redis-server has used so far, seconds. */
  cpuSeconds(): number {
    return cpuSecondsOf(this.child.pid!);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<BenchRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'signet-bench-redis-'));
    const { child, listener } = await startRedisServer({
      dir,
      listener: { port: 0 },
      persist: false,
      missing: 'The dispatch bench needs redis-server on PATH (e.g. `sudo apt-get install redis-server`).',
    });
    return new BenchRedis(child, listener.port, dir);
  }

  async stop(): Promise<void> {
    await stopRedisServer(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
