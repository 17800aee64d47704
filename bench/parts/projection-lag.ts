import { issueToken } from '@signet/auth';
import { VerificationCodes } from '@signet/domain';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send, startApi, stopAll } from '../http-client';
import { intFromEnv, peakRssMbOf, percentile } from '../measure';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * Projection lag: commands (the seed's add + verify + change-default flow, a new user per flow) arrive at RATE
 * per second for SECONDS seconds against the built API on the embedded default, while a poller reads the page
 * query `GET /v1/me/security-info` every POLL_MS ms and looks at `X-Read-Model-Position`, the read model's
 * checkpoint. A command is visible once a page answer carries a checkpoint at or past the `position` the
 * command answered with; its lag is from the command's answer (its append is acknowledged) to that page
 * answer. The poll interval plus one page round-trip is the resolution: the figure can only overstate.
 */
const RATE = intFromEnv('BENCH_LAG_RATE', 500);
const SECONDS = intFromEnv('BENCH_LAG_SECONDS', 10);
const POLL_MS = intFromEnv('BENCH_LAG_POLL_MS', 5);

const JWT_SECRET = randomBytes(32).toString('hex');
const CODE_SECRET = randomBytes(32).toString('hex');
const codes = new VerificationCodes(Buffer.from(CODE_SECRET, 'hex'));
const BASE = '/v1/me/security-info';

interface Pending {
  position: bigint;
  sentAt: number;
  ackAt: number;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-lag-'));
  const children: ChildProcess[] = [];
  try {
    const jwt = { mode: 'secret' as const, secret: new TextEncoder().encode(JWT_SECRET) };
    const flows = Math.ceil((RATE * (SECONDS + 2)) / 3);
    const tokens = await Promise.all(
      Array.from({ length: flows + 1 }, (_, i) =>
        issueToken(jwt, { subject: `lag-${i}`, roles: ['user'], ttlSeconds: 3600 }),
      ),
    );
    const pollerToken = tokens.pop()!;
    const api = await startApi({ DATA_DIR: dataDir, JWT_SECRET, CODE_SECRET });
    children.push(api.child);
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    const pollAgent = new Agent({ keepAlive: true, maxSockets: 1 });

    const pending: Pending[] = [];
    const fromAck: number[] = [];
    const fromSent: number[] = [];
    let measuring = false;
    let polls = 0;

    const command = async (method: string, path: string, token: string, body: object, expected: number) => {
      const sentAt = performance.now();
      const reply = await send(agent, api.port, method, path, token, body);
      const ackAt = performance.now();
      if (reply.status !== expected)
        throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      if (measuring) pending.push({ position: BigInt(String(reply.body.position)), sentAt, ackAt });
      return reply;
    };
    const flow = async (token: string) => {
      const added = await command(
        'POST',
        `${BASE}/phone-methods`,
        token,
        { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' },
        201,
      );
      const methodId = String(added.body.methodId);
      await command(
        'POST',
        `${BASE}/phone-methods/${methodId}/verify`,
        token,
        { code: codes.codeFor(added.body.code!.codeId) },
        200,
      );
      await command('PUT', `${BASE}/default-method`, token, { methodId, deliveryMethod: 'voice' }, 200);
    };

    let polling = true;
    const poller = (async () => {
      while (polling) {
        const started = performance.now();
        const reply = await send(pollAgent, api.port, 'GET', BASE, pollerToken);
        const at = performance.now();
        polls += 1;
        const checkpoint = BigInt(String(reply.headers['x-read-model-position'] ?? '0'));
        for (let i = pending.length - 1; i >= 0; i--) {
          const p = pending[i];
          if (p.position <= checkpoint) {
            fromAck.push(at - p.ackAt);
            fromSent.push(at - p.sentAt);
            pending.splice(i, 1);
          }
        }
        const wait = started + POLL_MS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();

    // Paced: flows start on schedule whatever the latency (open loop); the first 2 s warm up, unmeasured.
    const flowsPerSecond = RATE / 3;
    const started = performance.now();
    const running: Promise<void>[] = [];
    let commandsMeasured = 0;
    let measuredFrom = 0;
    for (let i = 0; i < flows; i++) {
      const due = started + (i / flowsPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (!measuring && due - started >= 2000) {
        measuring = true;
        measuredFrom = performance.now();
      }
      const counted = measuring;
      running.push(flow(tokens[i]).then(() => void (counted && (commandsMeasured += 3))));
    }
    await Promise.all(running);
    const rate = commandsMeasured / ((performance.now() - measuredFrom) / 1000);
    const deadline = performance.now() + 10_000;
    while (pending.length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    polling = false;
    await poller;
    if (pending.length > 0) throw new Error(`${pending.length} commands never became visible`);
    agent.destroy();
    pollAgent.destroy();
    const apiRss = peakRssMbOf(api.child.pid!);

    fromAck.sort((a, b) => a - b);
    fromSent.sort((a, b) => a - b);
    const p = (l: number[], q: number) => percentile(l, q);
    const figures: Figure[] = [
      {
        part: 'lag',
        figure: `projection lag p50 at ${Math.round(rate)} cmd/s (answer → page)`,
        value: p(fromAck, 50),
        unit: 'ms',
        target: '—',
        note: `${fromAck.length} commands; page polled every ${POLL_MS} ms (${polls} polls)`,
      },
      {
        part: 'lag',
        figure: `projection lag p99 at ${Math.round(rate)} cmd/s (answer → page)`,
        value: p(fromAck, 99),
        unit: 'ms',
        target: `< 100 ms at ${RATE} cmd/s`,
        met: p(fromAck, 99) < 100 && rate >= RATE * 0.95,
        peakRssMb: apiRss,
        note: `from the command's request instead: p50 ${p(fromSent, 50).toFixed(1)} ms, p99 ${p(fromSent, 99).toFixed(1)} ms`,
      },
    ];
    emit(figures);
  } finally {
    await stopAll(children);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
