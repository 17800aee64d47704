import { freeLoopbackPort } from '@signet/messaging';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../http-client';
import { intFromEnv, percentile } from '../measure';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * `npm start`, already built, to the first `GET /health/ready` answering 200: what a newcomer waits for. Each
 * run starts on a fresh DATA_DIR (secrets generated, stores created, a private Redis started), as a first
 * start does, and is stopped with SIGTERM before the next.
 */
const RUNS = intFromEnv('BENCH_START_RUNS', 5);

async function startOnce(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-start-'));
  const port = await freeLoopbackPort();
  const started = performance.now();
  // detached: a process group of its own, so npm, the launcher and its children are stopped together.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error('npm start exited before it was ready');
      if (performance.now() - started > 60_000) throw new Error('npm start was not ready within 60 s');
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((reply) => reply.status === 200)
        .catch(() => false);
      if (ready) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await gone;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await startOnce());
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const figures: Figure[] = [
    {
      part: 'start',
      figure: `npm start (built) to /health/ready 200, fresh DATA_DIR (p50 of ${RUNS})`,
      value: p50,
      unit: 'ms',
      target: '< 3 s',
      met: p50 < 3000,
      note: `min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms`,
    },
  ];
  emit(figures);
}

void main();
