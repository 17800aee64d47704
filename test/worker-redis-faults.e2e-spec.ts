import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@signet/testing';
import { build, startApi, startWorker, type RunningApi, type RunningProcess } from './support/processes';
import { RedisServer } from './support/redis-server';
import { textMeACode } from './support/seed-flow';

const readiness = async (worker: RunningProcess) => {
  const url = /Worker health on (http:\/\/\S+)/.exec(worker.output())![1].replace('[::1]', '127.0.0.1');
  const response = await fetch(`${url}/health/ready`);
  return {
    status: response.status,
    body: (await response.json()) as { dependencies: Record<string, { status: string; error?: string }> },
  };
};

/** The worker's Redis dies under it: the built API and the built worker, as an operator runs them. */
describe('the worker when its Redis fails', () => {
  beforeAll(() => build());

  describe('its private redis-server, killed with SIGKILL', () => {
    let dataDir: string;
    let api: RunningApi;
    let worker: RunningProcess;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'signet-private-redis-'));
      const env = { DATA_DIR: dataDir, REDIS_URL: '', HOST: '127.0.0.1' };
      [api, worker] = await Promise.all([startApi(env), startWorker({ ...env, WORKER_HEALTH_PORT: '0' })]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([api?.stop(), worker?.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('is started again on its data, and the worker goes on sending codes', async () => {
      expect((await readiness(worker)).status).toBe(200);
      const started = /Private redis-server started \(pid (\d+)\)/.exec(worker.output())!;
      const killed = Number(started[1]);
      process.kill(killed, 'SIGKILL');

      const restarted = await eventually(
        () => {
          const pids = [...worker.output().matchAll(/Private redis-server started \(pid (\d+)\)/g)];
          return pids.length >= 2 && Number(pids.at(-1)![1]);
        },
        { timeoutMs: 10_000, description: 'the private redis-server to be started again' },
      );
      expect(restarted).not.toBe(killed);
      expect(worker.output()).toMatch(
        new RegExp(`redis-server \\(pid ${killed}\\) stopped \\(SIGKILL\\); starting it again`),
      );
      await eventually(async () => expect((await readiness(worker)).status).toBe(200), {
        timeoutMs: 10_000,
        description: 'the worker ready again',
      });

      const { textedTo } = await textMeACode(api.url, dataDir, 'after-redis-kill');
      expect(textedTo).toBe('+14255550100');
    }, 60_000);

    it('still stops promptly on SIGTERM (exit 0), its private Redis with it', async () => {
      const asked = Date.now();
      expect(await worker.stop()).toBe(0);
      expect(Date.now() - asked).toBeLessThan(10_000);
      expect(existsSync(join(dataDir, 'redis', 'redis.sock'))).toBe(false);
    }, 20_000);
  });

  describe('its Redis (REDIS_URL) going down', () => {
    let dataDir: string;
    let redis: RedisServer;
    let worker: RunningProcess;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'signet-redis-down-'));
      redis = await RedisServer.start();
      worker = await startWorker({
        DATA_DIR: dataDir,
        REDIS_URL: redis.url,
        HOST: '127.0.0.1',
        WORKER_HEALTH_PORT: '0',
        SHUTDOWN_TIMEOUT_MS: '4000',
      });
    }, 60_000);
    afterAll(async () => {
      if (worker?.process.exitCode === null) worker.process.kill('SIGKILL');
      await redis?.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('makes the worker not ready, naming Redis, while it is down, and ready again once it is back', async () => {
      expect(await readiness(worker)).toMatchObject({
        status: 200,
        body: { dependencies: { redis: { status: 'up' }, eventStore: { status: 'up' } } },
      });
      await redis.stop(true);
      await eventually(
        async () =>
          expect(await readiness(worker)).toMatchObject({
            status: 503,
            body: { dependencies: { redis: { status: 'down' }, eventStore: { status: 'up' } } },
          }),
        { timeoutMs: 10_000, description: 'readiness to report Redis down' },
      );
      await redis.restart();
      await eventually(async () => expect((await readiness(worker)).status).toBe(200), {
        timeoutMs: 10_000,
        description: 'readiness to report Redis back',
      });
    }, 40_000);

    it('stops within SHUTDOWN_TIMEOUT_MS on SIGTERM while Redis is down, never hanging', async () => {
      await redis.stop(true);
      await eventually(async () => expect((await readiness(worker)).status).toBe(503), {
        timeoutMs: 10_000,
      });
      const asked = Date.now();
      const code = await worker.stop();
      const took = Date.now() - asked;
      console.log(`SIGTERM with Redis down: exit ${code} after ${took} ms`);
      expect(took).toBeLessThan(4000 + 1000);
      expect(code).toBe(0);
    }, 20_000);
  });
});
