import { issueToken } from '@signet/auth';
import { loadConfig } from '@signet/config';
import type { SecurityInfoPage } from '@signet/domain';
import { SqliteEventStore } from '@signet/event-store';
import { PersonalData } from '@signet/personal-data';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonical,
  checkClientLog,
  checkCodes,
  codeFacts,
  pageFromLog,
  readLog,
  type ClientLogFindings,
  type CodeFindings,
} from './checks';
import { Cluster, ROOT, TARGETS, type Target } from './cluster';
import { OutboxReader, runLoad, type Attempt } from './load';

/**
 * `npm run chaos [-- --duration 180 --users 20 --kills 24 --seed 1]`: a steady load of commands from many
 * people while the API, the worker and Redis are killed with SIGKILL at random moments and started again; then
 * it checks that nothing acknowledged was lost (see docs/operations.md#the-chaos-run), prints a summary and exits 1
 * on any loss. Loopback only; everything lives in a temp dir (kept, with each process's log, when a check fails
 * or with --keep).
 */
interface Options {
  durationSeconds: number;
  users: number;
  kills: number;
  seed: number;
  keep: boolean;
  /** DISPATCH_STALLED_AFTER_MS: how long a job held by a killed worker waits before it is taken over. */
  stalledAfterMs: number;
  /** PROJECTION_LEASE_MS: a restarted API waits for its killed predecessor's lease to lapse before projecting. */
  leaseMs: number;
}

function options(argv: string[]): Options {
  const flag = (name: string, env: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    const raw = i >= 0 ? argv[i + 1] : process.env[env];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      process.stderr.write(`--${name} (${env}) must be a whole number, not "${raw}"\n`);
      process.exit(2);
    }
    return value;
  };
  return {
    durationSeconds: flag('duration', 'CHAOS_DURATION_SECONDS', 180),
    users: Math.max(1, flag('users', 'CHAOS_USERS', 20)),
    kills: flag('kills', 'CHAOS_KILLS', 24),
    seed: flag('seed', 'CHAOS_SEED', Math.floor(Math.random() * 1e9)),
    keep: argv.includes('--keep') || process.env.CHAOS_KEEP === '1',
    stalledAfterMs: flag('stalled-after-ms', 'CHAOS_STALLED_AFTER_MS', 5000),
    leaseMs: flag('lease-ms', 'CHAOS_PROJECTION_LEASE_MS', 15000),
  };
}

/** mulberry32: the kill schedule and every person's choices follow from the seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`chaos: ${line}\n`);

interface Kill {
  target: Target;
  at: number;
  downMs: number;
  restartMs: number;
}

/** Kills at random moments of the load (between 5% and 90% of it), each target as often as the others. */
async function chaos(
  cluster: Cluster,
  opts: Options,
  random: () => number,
  startedAt: number,
): Promise<Kill[]> {
  const duration = opts.durationSeconds * 1000;
  const moments = Array.from(
    { length: opts.kills },
    () => startedAt + duration * (0.05 + 0.85 * random()),
  ).sort((a, b) => a - b);
  const targets = Array.from({ length: opts.kills }, (_, i) => TARGETS[i % TARGETS.length]);
  for (let i = targets.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [targets[i], targets[j]] = [targets[j], targets[i]];
  }
  const kills: Kill[] = [];
  for (const [i, moment] of moments.entries()) {
    await sleep(moment - Date.now());
    const target = targets[i];
    const downMs = Math.floor(random() * 1500);
    const at = Date.now() - startedAt;
    await cluster.kill(target);
    await sleep(downMs);
    const restarting = Date.now();
    await restart(cluster, target);
    kills.push({ target, at, downMs, restartMs: Date.now() - restarting });
    log(
      `killed the ${target} at ${(at / 1000).toFixed(1)} s, down ${downMs} ms, ready again after ${Date.now() - restarting} ms`,
    );
  }
  return kills;
}

async function restart(cluster: Cluster, target: Target): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await cluster.start(target);
    } catch (error) {
      if (attempt >= 3) throw error;
      log(`the ${target} did not start (attempt ${attempt}): ${(error as Error).message.split('\n')[0]}`);
      await sleep(1000);
    }
  }
}

interface Summary {
  seed: number;
  durationSeconds: number;
  users: number;
  kills: Record<Target, number>;
  commands: {
    sent: number;
    ok: number;
    refused: number;
    unanswered: number;
    byKind: Record<string, number>;
    refusals: Record<string, number>;
  };
  lostCommands: number;
  missingFromPage: number;
  pageFactsChecked: number;
  undetermined: number;
  readModel: { users: number; differing: number; stale: number; caughtUpAfterMs: number };
  people: number;
  codes: Omit<CodeFindings, 'lost' | 'duplicated' | 'unknown'> & {
    lost: number;
    duplicated: number;
    unknown: number;
    malformedOutboxLines: number;
  };
  auditVerify: { exitCode: number | null; output: string };
  shutdown: Partial<Record<Target, number | null>>;
  passed: boolean;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'signet-chaos-'));
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: join(dir, 'data'),
    HOST: '127.0.0.1',
    CODE_SECRET: randomBytes(32).toString('hex'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    SMS_PROVIDER: 'outbox',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'log',
    // One load generator on one address, and people far busier than real ones: rate limits would only refuse.
    RATE_LIMIT_COMMANDS_PER_USER: '0',
    RATE_LIMIT_COMMANDS_PER_ADDRESS: '0',
    RATE_LIMIT_REQUESTS_PER_ADDRESS: '0',
    // Each person signs in once and keeps their token for the whole run (step-up is not what is tested here).
    MAX_AUTH_AGE_SECONDS: '86400',
    RESEND_COOLDOWN_SECONDS: '1',
    MAX_CODES_PER_HOUR: '20',
    MAX_CODES_PER_ACCOUNT_PER_HOUR: '50',
    DISPATCH_MAX_PER_DESTINATION_PER_HOUR: '1000',
    DISPATCH_MAX_PER_DESTINATION_PER_DAY: '1000',
    DISPATCH_STALLED_AFTER_MS: String(opts.stalledAfterMs),
    DISPATCH_BACKOFF_MS: '200',
    PROJECTION_LEASE_MS: String(opts.leaseMs),
    STARTUP_WAIT_MS: '30000',
    SHUTDOWN_TIMEOUT_MS: '10000',
  };
  const config = loadConfig(env);
  const random = seeded(opts.seed);
  log(
    `seed ${opts.seed}, ${opts.durationSeconds} s, ${opts.users} users, ${opts.kills} kills; working in ${dir}`,
  );

  const cluster = await Cluster.create(dir, env);
  let passed = false;
  try {
    await cluster.startAll();
    const outbox = new OutboxReader(join(env.DATA_DIR!, 'outbox.jsonl'));
    const startedAt = Date.now();
    const stopAt = startedAt + opts.durationSeconds * 1000;
    const tokenFor = (userId: string) =>
      issueToken(config.jwt, { subject: userId, roles: ['user'], ttlSeconds: 86_400 });
    const [{ attempts, users }, kills] = await Promise.all([
      runLoad({
        url: cluster.url,
        people: opts.users,
        tokenFor,
        outbox,
        stopAt,
        random: seeded(opts.seed + 1),
        codeWaitMs: 6000,
      }),
      chaos(cluster, opts, random, startedAt),
    ]);
    log(`load over: ${attempts.length} commands sent; everything up again, waiting for the codes to settle`);
    for (const target of TARGETS) if (!cluster.isUp(target)) await restart(cluster, target);

    const summary = await verify(cluster, config, env, opts, users, attempts, outbox);
    summary.kills = { api: 0, worker: 0, redis: 0 };
    for (const kill of kills) summary.kills[kill.target]++;
    summary.shutdown = { ...summary.shutdown, ...(await cluster.stop()) };
    summary.passed &&= summary.shutdown.api === 0 && summary.shutdown.worker === 0;
    passed = summary.passed;
    process.stdout.write(`${print(summary)}\n`);
    process.stdout.write(`CHAOS-SUMMARY ${JSON.stringify(summary)}\n`);
  } finally {
    await cluster.stop();
    if (passed && !opts.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir} (the data directory and logs/ of each process)`);
  }
  process.exitCode = passed ? 0 : 1;
}

async function verify(
  cluster: Cluster,
  config: ReturnType<typeof loadConfig>,
  env: NodeJS.ProcessEnv,
  opts: Options,
  users: { userId: string; token: string }[],
  attempts: Attempt[],
  outbox: OutboxReader,
): Promise<Summary> {
  // The log as the services read it: personal data opened with the people's keys (libs/personal-data).
  const store = PersonalData.open(config).sealing(new SqliteEventStore(config.eventStore), {
    closesKeys: true,
  });
  try {
    // Wait until every code has an outcome recorded (the worker has been through its whole queue, so a late
    // duplicate would be seen), or at most a few stall periods.
    const settleBy = Date.now() + Math.max(15_000, 4 * opts.stalledAfterMs);
    let facts = codeFacts(await readLog(store), new Date());
    while (Date.now() < settleBy) {
      outbox.poll();
      facts = codeFacts(await readLog(store), new Date());
      const mustSend = facts.filter((f) => f.live || f.usedToVerify);
      if (facts.every((f) => f.outcome !== null) && mustSend.every((f) => outbox.sends.has(f.codeId))) break;
      await sleep(500);
    }
    // The worker stops first (SIGTERM: it finishes what it holds), so the log is final when the pages are read.
    const workerExit = await cluster.stopOnly('worker');
    outbox.poll();
    const log = await readLog(store);
    const head = await store.headPosition();
    facts = codeFacts(log, new Date());

    // A restarted API projects only once its killed predecessor's lease has lapsed (PROJECTION_LEASE_MS): wait
    // until the read model has passed the log's head (one checkpoint for every page), at most the lease and 20 s.
    const catchUpStarted = Date.now();
    while (Date.now() < catchUpStarted + opts.leaseMs + 20_000) {
      const response = await fetch(`${cluster.url}/v1/me/security-info?minPosition=${head}`, {
        headers: { authorization: `Bearer ${users[0].token}` },
      }).catch(() => null);
      if (response?.ok && response.headers.get('x-read-model-stale') !== 'true') break;
      await sleep(250);
    }
    const caughtUpAfterMs = Date.now() - catchUpStarted;

    const pages = new Map<string, SecurityInfoPage>();
    let differing = 0;
    let stale = 0;
    for (const user of users) {
      const response = await fetch(`${cluster.url}/v1/me/security-info?minPosition=${head}`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      const now = new Date();
      if (response.headers.get('x-read-model-stale') === 'true') stale++;
      const page = (await response.json()) as SecurityInfoPage;
      pages.set(user.userId, page);
      const fresh = pageFromLog(log, user.userId, { now, policy: config.policy });
      if (canonical(page) !== canonical(fresh)) {
        differing++;
        process.stderr.write(
          `chaos: ${user.userId}'s page differs from a fresh fold:\n  read model ${canonical(page)}\n  fresh fold ${canonical(fresh)}\n`,
        );
      }
    }
    const client: ClientLogFindings = checkClientLog(attempts, log, pages);
    for (const lost of client.lost) process.stderr.write(`chaos: LOST ${JSON.stringify(lost)}\n`);
    for (const missing of client.missing) process.stderr.write(`chaos: NOT ON THE PAGE ${missing}\n`);
    const codes = checkCodes(facts, outbox);
    for (const lost of codes.lost)
      process.stderr.write(
        `chaos: CODE NOT SENT ${JSON.stringify(lost, (_, v) => (typeof v === 'bigint' ? String(v) : v))}\n`,
      );
    for (const dup of codes.duplicated) process.stderr.write(`chaos: CODE SENT TWICE ${dup}\n`);

    const audit = spawnSync(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), 'audit', 'verify'], {
      cwd: ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });

    const byKind: Record<string, number> = {};
    const refusals: Record<string, number> = {};
    for (const a of attempts) {
      byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
      if (a.refusal) refusals[`${a.kind}: ${a.refusal}`] = (refusals[`${a.kind}: ${a.refusal}`] ?? 0) + 1;
    }
    const okCount = attempts.filter((a) => a.status !== null && a.status < 300).length;
    const unanswered = attempts.filter((a) => a.status === null || a.status >= 500).length;
    const summary: Summary = {
      seed: opts.seed,
      durationSeconds: opts.durationSeconds,
      users: opts.users,
      kills: { api: 0, worker: 0, redis: 0 },
      commands: {
        sent: attempts.length,
        ok: okCount,
        refused: attempts.length - okCount - unanswered,
        unanswered,
        byKind,
        refusals,
      },
      lostCommands: client.lost.length,
      missingFromPage: client.missing.length,
      pageFactsChecked: client.methodsChecked + client.defaultsChecked,
      undetermined: client.undetermined,
      readModel: { users: users.length, differing, stale, caughtUpAfterMs },
      people: users.length,
      codes: {
        ...codes,
        lost: codes.lost.length,
        duplicated: codes.duplicated.length,
        unknown: codes.unknown.length,
        malformedOutboxLines: outbox.malformed.length + (outbox.partialLine ? 1 : 0),
      },
      auditVerify: { exitCode: audit.status, output: `${audit.stdout}${audit.stderr}`.trim() },
      shutdown: { worker: workerExit },
      passed: false,
    };
    summary.passed =
      summary.lostCommands === 0 &&
      summary.missingFromPage === 0 &&
      differing === 0 &&
      stale === 0 &&
      codes.lost.length === 0 &&
      codes.duplicated.length === 0 &&
      codes.unknown.length === 0 &&
      summary.codes.malformedOutboxLines === 0 &&
      audit.status === 0 &&
      okCount > 0;
    return summary;
  } finally {
    await store.close();
  }
}

function print(s: Summary): string {
  const row = (label: string, value: string | number, verdict = '') =>
    `  ${label.padEnd(58)} ${String(value).padStart(8)}  ${verdict}`;
  const zero = (n: number) => (n === 0 ? 'ok' : 'LOSS');
  const kinds = Object.entries(s.commands.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    '',
    `Signet chaos run — seed ${s.seed}, ${s.durationSeconds} s, ${s.users} people at once (${s.people} in all), ` +
      `kills: api ${s.kills.api}, worker ${s.kills.worker}, redis ${s.kills.redis} (SIGKILL)`,
    '',
    row('commands sent', s.commands.sent, `(${kinds})`),
    row('  answered 2xx', s.commands.ok),
    row('  refused 4xx', s.commands.refused),
    ...Object.entries(s.commands.refusals).map(([why, n]) => row(`    ${why}`, n)),
    row('  no answer or 5xx (killed under it: outcome unknown)', s.commands.unanswered),
    row('2xx commands missing from the event log (lost)', s.lostCommands, zero(s.lostCommands)),
    row(
      `2xx facts contradicted by the page (of ${s.pageFactsChecked} checked)`,
      s.missingFromPage,
      zero(s.missingFromPage),
    ),
    row('  2xx facts a later unanswered command may have undone', s.undetermined, '(not checkable)'),
    row(
      `read model ≠ fresh fold of the events (of ${s.readModel.users} users)`,
      s.readModel.differing,
      zero(s.readModel.differing),
    ),
    row('pages still stale at the final position', s.readModel.stale, zero(s.readModel.stale)),
    row('  the read model passed the final position after (ms)', s.readModel.caughtUpAfterMs),
    row('codes recorded (CodeSent)', s.codes.recorded),
    row('  live or used to verify: must be sent exactly once', s.codes.mustSend),
    row('    sent exactly once', s.codes.mustSendSentOnce),
    row('    not sent (lost)', s.codes.lost, zero(s.codes.lost)),
    row(
      '  superseded, deleted or proven otherwise: sent / not sent',
      `${s.codes.supersededSent} / ${s.codes.supersededNotSent}`,
    ),
    row('codes sent more than once', s.codes.duplicated, zero(s.codes.duplicated)),
    row(
      'outbox lines for no recorded code, or broken',
      s.codes.unknown + s.codes.malformedOutboxLines,
      zero(s.codes.unknown + s.codes.malformedOutboxLines),
    ),
    row('codes with no delivery outcome recorded', s.codes.noOutcome, '(superseded, never re-queued)'),
    row(
      'audit verify',
      s.auditVerify.exitCode === 0 ? 'exit 0' : `exit ${s.auditVerify.exitCode}`,
      s.auditVerify.exitCode === 0 ? 'ok' : 'FAIL',
    ),
    row('SIGTERM at the end: api / worker exit', `${s.shutdown.api} / ${s.shutdown.worker}`),
    '',
    s.passed
      ? 'PASS: nothing acknowledged was lost, no code lost or sent twice, the read model converged.'
      : 'FAIL: see above.',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
