import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@signet/testing';
import { build, cli, ROOT, startApi, type RunningApi } from './support/processes';
import { textMeACode } from './support/seed-flow';

/**
 * `npm start` as a newcomer runs it: no configuration at all, the API and the worker side by side, the worker's
 * private redis-server, and the code read from the outbox.
 */
describe('npm start: the API and the worker together', () => {
  let dataDir: string;
  let signet: RunningApi;

  beforeAll(async () => {
    await build();
    dataDir = mkdtempSync(join(tmpdir(), 'signet-launcher-'));
    signet = await startApi(
      // A snapshot every 2 events, so the seed flow's few events make some.
      { DATA_DIR: dataDir, REDIS_URL: '', LAUNCHER_RESTART_BACKOFF_MS: '200', AS_OF_SNAPSHOT_EVERY: '2' },
      'launcher',
    );
  }, 60_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('texts the code to the outbox, verifies it, and shows the phone as the default on the page', async () => {
    const { methodId, textedTo, page, stale } = await textMeACode(signet.url, dataDir, 'newcomer');
    expect(textedTo).toBe('+14255550100');
    expect(stale).toBeNull();
    expect(page).toMatchObject({
      methods: [
        { methodId, status: 'verified', isDefault: true, phoneNumber: '+1 4255550100', e164: '+14255550100' },
      ],
      defaultMethod: { methodId, deliveryMethod: 'sms', label: 'Phone - text +1 4255550100' },
    });
  }, 40_000);

  it('keeps the page in the API and the as-of snapshots in the worker, each caught up with the log', async () => {
    const statuses = await eventually(
      async () => {
        const status = await cli(['projections', 'status', '--json'], { DATA_DIR: dataDir });
        const { projections } = JSON.parse(status.stdout) as {
          projections: { name: string; state: string; checkpoint: string }[];
        };
        // Caught up: nothing of their streams past their checkpoint (the access log's events are not theirs).
        return projections.every((p) => p.state === 'caughtUp' && p.checkpoint !== '0') && projections;
      },
      { timeoutMs: 20_000, description: 'both projections caught up' },
    );
    expect(statuses.map((p) => p.name)).toEqual(['securityInfoPage', 'asOfSnapshots']);
    // Each runner says where it runs: its lease's owner names the host and the pid.
    const output = signet.output();
    const pid = (app: string) => new RegExp(`Started the ${app} \\(pid (\\d+)\\)`).exec(output)![1];
    expect(output).toMatch(
      new RegExp(
        `securityInfoPage: following the log from position \\d+ \\(lease held by [^:]+:${pid('api')}:`,
      ),
    );
    expect(output).toMatch(
      new RegExp(
        `asOfSnapshots: following the log from position \\d+ \\(lease held by [^:]+:${pid('worker')}:`,
      ),
    );
    expect(output).not.toMatch(new RegExp(`asOfSnapshots: following the log [^\\n]*:${pid('api')}:`));
  }, 40_000);

  it('restarts a worker that crashed, says so, and the restarted worker sends codes', async () => {
    const workerPid = Number(/Started the worker \(pid (\d+)\)/.exec(signet.output())![1]);
    process.kill(workerPid, 'SIGKILL');
    await eventually(
      () => expect(signet.output()).toMatch(/The worker stopped \(SIGKILL\); restarting it in 200 ms/),
      { timeoutMs: 5000, description: 'the launcher to say it restarts the worker' },
    );
    await eventually(() => signet.output().match(/Code dispatch worker running/g)!.length >= 2, {
      timeoutMs: 20_000,
      description: 'the worker running again',
    });
    // The killed worker's private redis-server outlived it: the new worker adopts it (and stops it at the end).
    expect(signet.output()).toMatch(/Adopted the private redis-server/);
    const { page } = await textMeACode(signet.url, dataDir, 'after-worker-crash', '+1 425 555 0101');
    expect(page).toMatchObject({ methods: [{ status: 'verified' }] });
  }, 60_000);

  it('stops both processes and the private Redis on SIGTERM, exiting 0', async () => {
    expect(await signet.stop()).toBe(0);
    expect(signet.output()).toMatch(/Worker/);
    await eventually(() => !existsSync(join(dataDir, 'redis', 'redis.sock')), {
      timeoutMs: 10_000,
      description: 'the private Redis to stop',
    });
  });
});

describe('npm start: a child that keeps crashing', () => {
  it('is restarted with a growing backoff, then everything stops and the launcher exits 1', async () => {
    await build();
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-launcher-crash-'));
    // A worker whose Redis is nowhere: it exits 1 at start-up, every time.
    const launcher = spawn(process.execPath, [join(ROOT, 'dist/apps/launcher/src/main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        NO_COLOR: '1',
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        REDIS_URL: 'redis://127.0.0.1:1',
        STARTUP_WAIT_MS: '0',
        LAUNCHER_RESTART_BACKOFF_MS: '100',
        LAUNCHER_MAX_RESTARTS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    launcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });

    expect(code).toBe(1);
    expect(output).toMatch(/The worker stopped \(exit 1\); restarting it in 100 ms \(crash 1 of at most 2/);
    expect(output).toMatch(/The worker stopped \(exit 1\); restarting it in 200 ms \(crash 2 of at most 2/);
    expect(output).toMatch(
      /The worker stopped \(exit 1\), its crash 3 within 60000 ms .*stopping everything/,
    );
    expect(output.match(/Started the worker/g)).toHaveLength(3);
  }, 60_000);
});
