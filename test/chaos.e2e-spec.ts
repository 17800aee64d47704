import type { SecurityInfoPage } from '@signet/domain';
import type { RecordedEvent } from '@signet/event-store';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkClientLog, checkCodes, codeFacts } from '../bench/chaos/checks';
import { OutboxReader, type Attempt } from '../bench/chaos/load';
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

/** The checks themselves, on made-up histories: a loss of each kind is seen (the run above could not show one). */
describe("the chaos run's checks", () => {
  let position = 0n;
  const event = (userId: string, type: string, data: Record<string, unknown>, correlationId = 'c-x') =>
    ({
      id: `e${++position}`,
      streamId: `${type.startsWith('CodeDelivery') ? 'codeDelivery' : 'securityInfo'}-${userId}`,
      type,
      revision: 0n,
      position,
      data,
      metadata: { correlationId },
      recordedAt: new Date(),
    }) as RecordedEvent;
  const attempt = (seq: number, fields: Partial<Attempt>): Attempt => ({
    seq,
    userId: 'u',
    kind: 'add',
    correlationId: `c-${seq}`,
    status: 201,
    ...fields,
  });
  const page = (methods: { methodId: string; status: string }[], defaultMethod: object | null = null) =>
    ({ methods, defaultMethod }) as unknown as SecurityInfoPage;

  it('sees a 2xx command with no event, a phone missing from the page, and a default not as answered', () => {
    const log = [event('u', 'PhoneMethodAdded', { methodId: 'm1' }, 'c-1')];
    const attempts = [
      attempt(1, { methodId: 'm1', phoneType: 'mobile' }),
      attempt(2, { kind: 'verify', methodId: 'm1', status: 200 }),
      attempt(3, { kind: 'default', status: 200, target: { methodId: 'm1', deliveryMethod: 'voice' } }),
    ];
    const findings = checkClientLog(
      attempts,
      log,
      new Map([['u', page([{ methodId: 'm1', status: 'pendingVerification' }])]]),
    );
    expect(findings.lost.map((a) => a.seq)).toEqual([2, 3]);
    expect(findings.missing).toEqual([
      'u: method m1 verified (200) shows as pendingVerification',
      'u: default changed (200) to m1/voice, the page shows none',
    ]);
    expect(checkClientLog(attempts, log, new Map([['u', page([])]])).missing[0]).toBe(
      'u: method m1 added (201) is not on the page',
    );
  });

  it('leaves alone what a later unanswered command may have undone', () => {
    const attempts = [
      attempt(1, { methodId: 'm1', phoneType: 'mobile' }),
      attempt(2, { kind: 'delete', methodId: 'm1', status: null }),
    ];
    const findings = checkClientLog(attempts, [], new Map([['u', page([])]]));
    expect(findings).toMatchObject({ missing: [], undetermined: 1, methodsChecked: 0 });
  });

  it('sees a live code not sent, a code sent twice and a line for no code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-chaos-checks-'));
    try {
      const expiresAt = new Date(Date.now() + 600_000).toISOString();
      const log = [
        event('u', 'CodeSent', { methodId: 'm1', codeId: 'k1', expiresAt }),
        event('u', 'CodeSent', { methodId: 'm1', codeId: 'k2', expiresAt }),
        event('u', 'CodeSent', { methodId: 'm2', codeId: 'k3', expiresAt }),
      ];
      const line = (codeId: string) =>
        JSON.stringify({
          codeId,
          body: 'Your Signet verification code is 123456. It expires in 10 minutes.',
        });
      writeFileSync(
        join(dir, 'outbox.jsonl'),
        [line('k1'), line('k3'), line('k3'), line('k9'), ''].join('\n'),
      );
      const outbox = new OutboxReader(join(dir, 'outbox.jsonl'));
      outbox.poll();
      const codes = checkCodes(codeFacts(log, new Date()), outbox);
      expect(codes.lost.map((c) => c.codeId)).toEqual(['k2']);
      expect(codes).toMatchObject({
        mustSend: 2,
        mustSendSentOnce: 0,
        supersededSent: 1,
        duplicated: ['k3'],
        unknown: ['k9'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
