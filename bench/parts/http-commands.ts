import { issueToken } from '@signet/auth';
import { VerificationCodes } from '@signet/domain';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send, startApi, startProcess, stopAll, type Reply } from '../http-client';
import { cpuSecondsOf, intFromEnv, peakRssMbOf, percentile } from '../measure';
import type { Figure } from '../report';
import { emit } from './emit';

/**
 * Commands over HTTP: each flow is the seed's happy path for a new user — add a phone, verify it with its code,
 * change the default to a call — run by CLIENTS concurrent keep-alive clients for SECONDS seconds against the
 * built API on the embedded default; the ceiling is a bare node:http server answering a fixed JSON body to the
 * same load. Then an open-loop run at RATE commands/s measures latency at a fixed load.
 */
const CLIENTS = intFromEnv('BENCH_HTTP_CLIENTS', 16);
const SECONDS = intFromEnv('BENCH_HTTP_SECONDS', 8);
const RATE = intFromEnv('BENCH_HTTP_RATE', 1000);

const JWT_SECRET = randomBytes(32).toString('hex');
const CODE_SECRET = randomBytes(32).toString('hex');
const codes = new VerificationCodes(Buffer.from(CODE_SECRET, 'hex'));

type Target = { port: number; bare: boolean };

/** One user's flow; returns the latency of each command in ms. */
async function flow(agent: Agent, target: Target, token: string): Promise<number[]> {
  const timed = async (
    method: string,
    path: string,
    body: object | undefined,
    expected: number,
  ): Promise<[number, Reply]> => {
    const started = performance.now();
    const reply = await send(agent, target.port, method, path, token, body);
    const ms = performance.now() - started;
    if (reply.status !== expected)
      throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return [ms, reply];
  };
  const base = '/v1/me/security-info';
  const [a, added] = await timed(
    'POST',
    `${base}/phone-methods`,
    { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' },
    target.bare ? 200 : 201,
  );
  const methodId = target.bare ? 'bare' : String(added.body.methodId);
  const code = target.bare ? '123456' : codes.codeFor(added.body.code!.codeId);
  const [v] = await timed('POST', `${base}/phone-methods/${methodId}/verify`, { code }, 200);
  const [d] = await timed('PUT', `${base}/default-method`, { methodId, deliveryMethod: 'voice' }, 200);
  return [a, v, d];
}

/** A new person per flow (one mobile each); tokens are signed ahead, and more on demand if a run outpaces them. */
class Users {
  private next = 0;
  constructor(
    private readonly tokens: string[],
    private readonly jwt: Parameters<typeof issueToken>[0],
  ) {}
  async take(): Promise<string> {
    const i = this.next++;
    return i < this.tokens.length
      ? this.tokens[i]
      : issueToken(this.jwt, { subject: `bench-${i}`, roles: ['user'], ttlSeconds: 3600 });
  }
}

async function closedLoop(target: Target, users: Users): Promise<{ rate: number; latencies: number[] }> {
  return closedLoopOf(async (agent) => flow(agent, target, await users.take()));
}

/** CLIENTS keep-alive clients repeating `work` (which returns its requests' latencies) for SECONDS seconds. */
async function closedLoopOf(
  work: (agent: Agent) => Promise<number[]>,
): Promise<{ rate: number; latencies: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) latencies.push(...(await work(agent)));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { rate: latencies.length / elapsed, latencies: latencies.sort((x, y) => x - y) };
}

/** One GET that must answer 200; its latency in ms. */
async function get(agent: Agent, port: number, path: string): Promise<number[]> {
  const started = performance.now();
  const reply = await send(agent, port, 'GET', path, '');
  if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}`);
  return [performance.now() - started];
}

/** Starts flows at a fixed pace so that commands arrive at RATE per second, whatever the latency. */
async function openLoop(
  target: Target,
  users: Users,
  seconds: number,
): Promise<{ rate: number; latencies: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  const flows: Promise<void>[] = [];
  const flowsPerSecond = RATE / 3;
  const total = Math.round(flowsPerSecond * seconds);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i / flowsPerSecond) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    flows.push(
      users
        .take()
        .then((token) => flow(agent, target, token))
        .then((l) => void latencies.push(...l)),
    );
  }
  await Promise.all(flows);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { rate: latencies.length / elapsed, latencies: latencies.sort((x, y) => x - y) };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-http-'));
  const children: ChildProcess[] = [];
  try {
    const pool = RATE * 10;
    const jwt = { mode: 'secret' as const, secret: new TextEncoder().encode(JWT_SECRET) };
    const tokens = await Promise.all(
      Array.from({ length: pool }, (_, i) =>
        issueToken(jwt, { subject: `bench-${i}`, roles: ['user'], ttlSeconds: 3600 }),
      ),
    );
    const users = new Users(tokens, jwt);

    const bare = await startProcess(
      [
        '-e',
        `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.setHeader('content-type','application/json');s.end('{"ok":true}')})}).listen(0,'127.0.0.1',function(){console.log('listening '+this.address().port)})`,
      ],
      {},
      /listening (\d+)/,
    );
    children.push(bare.child);
    const bareCpu = cpuSecondsOf(bare.child.pid!);
    const ceiling = await closedLoop({ port: bare.port, bare: true }, users);
    const bareCpuPerRequest = (cpuSecondsOf(bare.child.pid!) - bareCpu) / (ceiling.rate * SECONDS);

    const api = await startApi({ DATA_DIR: dataDir, JWT_SECRET, CODE_SECRET });
    children.push(api.child);
    const target = { port: api.port, bare: false };
    await closedLoop(target, users); // warm-up: JIT, SQLite page cache
    const apiCpu = cpuSecondsOf(api.child.pid!);
    const measured = await closedLoop(target, users);
    const cpuPerCommand = (cpuSecondsOf(api.child.pid!) - apiCpu) / measured.latencies.length;
    // The floor under a command: the same API answering a route that touches no store, by the same clients:
    // its pipeline alone (Express and Nest, helmet, the request log, the metrics), what no command can go under.
    const floorCpu = cpuSecondsOf(api.child.pid!);
    const floor = await closedLoopOf((agent) => get(agent, api.port, '/health/live'));
    const cpuPerFloorRequest = (cpuSecondsOf(api.child.pid!) - floorCpu) / floor.latencies.length;
    const paced = await openLoop(target, users, 5);
    const apiRss = peakRssMbOf(api.child.pid!);

    const p = (l: number[], q: number) => percentile(l, q);
    const figures: Figure[] = [
      {
        part: 'http',
        figure: `commands/s, ${CLIENTS} clients (add+verify+default)`,
        value: measured.rate,
        unit: 'cmd/s',
        ceiling: { label: 'bare node:http, fixed JSON', value: ceiling.rate },
        target: '≥ 0.35×',
        met: measured.rate / ceiling.rate >= 0.35,
        note: `p50 ${p(measured.latencies, 50).toFixed(1)} ms, p99 ${p(measured.latencies, 99).toFixed(1)} ms at saturation`,
      },
      {
        part: 'http',
        figure: 'API CPU per command at saturation (user + system)',
        value: cpuPerCommand * 1e6,
        unit: 'µs',
        ceiling: { label: 'bare node:http CPU per request', value: bareCpuPerRequest * 1e6 },
        target: '—',
        note: 'the cost of a command whatever else the machine runs; the ratio is its inverse',
      },
      {
        part: 'http',
        figure: 'API CPU per request, GET /health/live (its pipeline alone, no store)',
        value: cpuPerFloorRequest * 1e6,
        unit: 'µs',
        ceiling: { label: 'bare node:http CPU per request', value: bareCpuPerRequest * 1e6 },
        target: '—',
        note: `${Math.round(floor.rate).toLocaleString('en-US')} requests/s; the floor under any command`,
      },
      {
        part: 'http',
        figure: 'API peak RSS at saturation',
        value: apiRss ?? NaN,
        unit: 'MB',
        target: '< 200 MB',
        met: apiRss === undefined ? undefined : apiRss < 200,
        peakRssMb: apiRss,
      },
      {
        part: 'http',
        figure: `p50 latency at ${Math.round(paced.rate)} cmd/s (paced)`,
        value: p(paced.latencies, 50),
        unit: 'ms',
        target: '—',
      },
      {
        part: 'http',
        figure: `p99 latency at ${Math.round(paced.rate)} cmd/s (paced)`,
        value: p(paced.latencies, 99),
        unit: 'ms',
        target: `< 10 ms at ${RATE} cmd/s`,
        met: p(paced.latencies, 99) < 10 && paced.rate >= RATE * 0.95,
      },
    ];
    emit(figures);
  } finally {
    await stopAll(children);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
