import { spawn, type ChildProcess } from 'node:child_process';
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';

/** The repository root, from dist/bench/. */
export const ROOT = join(__dirname, '..', '..');

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> & { code?: { codeId: string } };
}

/** Starts a node process and resolves once its output matches `ready` (group 1: the port it listens on). */
export function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before ready:\n${output}`)));
  });
}

/** Starts the built API (dist/) on a free port; BENCH_CPU_PROF=<dir> profiles it (written when it exits). */
export function startApi(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  return startProcess(
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      join(ROOT, 'dist/apps/api/src/main.js'),
    ],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
      // One load generator on one address: the rate limits would measure themselves.
      RATE_LIMIT_COMMANDS_PER_USER: '0',
      RATE_LIMIT_COMMANDS_PER_ADDRESS: '0',
      RATE_LIMIT_REQUESTS_PER_ADDRESS: '0',
      ...env,
    },
    /Security info API on http:\/\/[^:]+:(\d+)/,
  );
}

/**
 * Starts the built worker (the code dispatch and the projections no request waits on: the as-of snapshots)
 * beside an API on the same DATA_DIR, as `npm start` does; its private redis-server unless REDIS_URL is given.
 */
export async function startWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const { child } = await startProcess(
    [join(ROOT, 'dist/apps/worker/src/main.js')],
    { REDIS_URL: '', LOG_LEVEL: 'log', ...env },
    /Code dispatch worker running/,
  );
  return child;
}

export function send(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  token: string,
  body?: object,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: data ? (JSON.parse(data) as Reply['body']) : {},
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** SIGTERM to each child, and wait for it to exit (so its profile and peak memory are final). */
export async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) =>
      child.exitCode !== null
        ? undefined
        : new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')),
    ),
  );
}
