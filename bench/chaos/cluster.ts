import { freeLoopbackPort, startRedisServer } from '@signet/messaging';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** The repository root, from dist/bench/chaos/. */
export const ROOT = join(__dirname, '..', '..', '..');

export type Target = 'api' | 'worker' | 'redis';
export const TARGETS: readonly Target[] = ['api', 'worker', 'redis'];

const READY: Record<'api' | 'worker', RegExp> = {
  api: /Security info API on http:\/\//,
  worker: /Code dispatch worker running/,
};

/**
 * The system under chaos, on loopback only: the built API and the built worker as operators run them
 * (`node dist/apps/.../main.js`), and a redis-server of this script's own (append-only file in the data
 * directory, a fixed port), given to the worker as REDIS_URL, so each of the three can be SIGKILLed and started
 * again on the same data and the same address. Each process's output goes to `<dir>/logs/<name>.log`.
 */
export class Cluster {
  private readonly children: Partial<Record<Target, ChildProcess>> = {};
  private readonly logs: Partial<Record<Target, WriteStream>> = {};
  readonly starts: Record<Target, number> = { api: 0, worker: 0, redis: 0 };

  private constructor(
    readonly dir: string,
    readonly apiPort: number,
    readonly redisPort: number,
    readonly env: NodeJS.ProcessEnv,
  ) {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    mkdirSync(join(dir, 'redis'), { recursive: true, mode: 0o700 });
  }

  get url(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  static async create(dir: string, env: NodeJS.ProcessEnv): Promise<Cluster> {
    return new Cluster(dir, await freeLoopbackPort(), await freeLoopbackPort(), env);
  }

  async startAll(): Promise<void> {
    await this.start('redis');
    await Promise.all([this.start('api'), this.start('worker')]);
  }

  isUp(target: Target): boolean {
    const child = this.children[target];
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  /** Starts one process (again); resolves once it is ready (the API listens, the worker runs, Redis answers PING). */
  async start(target: Target): Promise<void> {
    this.starts[target]++;
    const log = (this.logs[target] ??= createWriteStream(join(this.dir, 'logs', `${target}.log`), {
      flags: 'a',
    }));
    log.write(`--- chaos: start #${this.starts[target]} at ${new Date().toISOString()}\n`);
    if (target === 'redis') {
      const { child } = await startRedisServer({
        dir: join(this.dir, 'redis'),
        listener: { port: this.redisPort },
        persist: true,
        missing: 'The chaos run needs redis-server on PATH (e.g. `sudo apt-get install redis-server`).',
      });
      this.children.redis = child;
      return;
    }
    const env = {
      ...process.env,
      ...this.env,
      NO_COLOR: '1',
      ...(target === 'api' ? { PORT: String(this.apiPort) } : { REDIS_URL: this.redisUrl }),
    };
    const child = spawn(process.execPath, [join(ROOT, `dist/apps/${target}/src/main.js`)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children[target] = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      let ready = false;
      const timer = setTimeout(
        () => reject(new Error(`the ${target} did not start within 90 s:\n${output.slice(-4000)}`)),
        90_000,
      );
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        if (ready) return;
        output += chunk.toString();
        if (READY[target].test(output)) {
          ready = true;
          output = '';
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        log.write(`--- chaos: exited (${signal ?? code}) at ${new Date().toISOString()}\n`);
        reject(
          new Error(`the ${target} exited (${signal ?? code}) before it was ready:\n${output.slice(-4000)}`),
        );
      });
    });
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(target: Target): Promise<void> {
    const child = this.children[target];
    if (!child || !this.isUp(target)) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.logs[target]?.write(`--- chaos: SIGKILL at ${new Date().toISOString()}\n`);
  }

  /** SIGTERM to one process; its exit code (SIGKILL after 30 s). */
  async stopOnly(target: Target): Promise<number | null> {
    const child = this.children[target];
    if (!child || !this.isUp(target)) return null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  /** SIGTERM to the API and the worker (their exit codes, for those still running), then Redis. */
  async stop(): Promise<Partial<Record<Target, number | null>>> {
    const codes: Partial<Record<Target, number | null>> = {};
    await Promise.all(
      (['api', 'worker'] as const).map(async (target) => {
        if (this.isUp(target)) codes[target] = await this.stopOnly(target);
      }),
    );
    await this.stopOnly('redis');
    const logs = Object.values(this.logs);
    for (const target of TARGETS) delete this.logs[target];
    await Promise.all(logs.map((log) => new Promise((resolve) => log!.end(resolve))));
    return codes;
  }
}
