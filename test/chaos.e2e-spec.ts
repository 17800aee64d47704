import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/processes';

interface ChaosSummary {
  kills: Record<'api' | 'worker' | 'redis', number>;
  commands: { sent: number; ok: number; unanswered: number };
  lostCommands: number;
  missingFromPage: number;
  pageFactsChecked: number;
  readModel: { users: number; differing: number; stale: number };
  codes: {
    recorded: number;
    mustSend: number;
    mustSendSentOnce: number;
    lost: number;
    duplicated: number;
    unknown: number;
  };
  auditVerify: { exitCode: number | null; output: string };
  shutdown: { api: number | null; worker: number | null };
  passed: boolean;
}

/**
 * The short version of `npm run chaos` (docs/operations.md#the-chaos-run): a few people under load while the
 * built API, the built worker and their Redis are each SIGKILLed once at random moments and started again; the
 * script's own checks must all hold (nothing answered 2xx lost, every live code sent exactly once, the read
 * model equal to a fresh fold, `audit verify` passing) and it must exit 0.
 */
describe('npm run chaos, short', () => {
  it('kills the API, the worker and Redis under load, and loses nothing', async () => {
    const script = join(ROOT, 'dist/bench/chaos/main.js');
    expect(existsSync(script)).toBe(true);
    // A short lease and stall time, so that a kill near the end is recovered from within seconds.
    const child = spawn(process.execPath, [script], {
      cwd: ROOT,
      env: {
        ...process.env,
        CHAOS_DURATION_SECONDS: '12',
        CHAOS_USERS: '4',
        CHAOS_KILLS: '3',
        CHAOS_SEED: '16',
        CHAOS_STALLED_AFTER_MS: '2000',
        CHAOS_PROJECTION_LEASE_MS: '3000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    const line = stdout.split('\n').find((l) => l.startsWith('CHAOS-SUMMARY '));
    if (code !== 0 || !line) throw new Error(`npm run chaos exited ${code}:\n${stdout}\n${stderr}`);
    const summary = JSON.parse(line.slice('CHAOS-SUMMARY '.length)) as ChaosSummary;
    expect(summary).toMatchObject({
      kills: { api: 1, worker: 1, redis: 1 },
      lostCommands: 0,
      missingFromPage: 0,
      readModel: { differing: 0, stale: 0 },
      codes: { lost: 0, duplicated: 0, unknown: 0 },
      auditVerify: { exitCode: 0 },
      shutdown: { api: 0, worker: 0 },
      passed: true,
    });
    expect(summary.commands.ok).toBeGreaterThan(20);
    expect(summary.pageFactsChecked).toBeGreaterThan(0);
    expect(summary.codes.mustSend).toBeGreaterThan(0);
    expect(summary.codes.mustSendSentOnce).toBe(summary.codes.mustSend);
    expect(stdout).toMatch(/PASS: nothing acknowledged was lost/);
  }, 120_000);
});
