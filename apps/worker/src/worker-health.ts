import { Logger } from '@nestjs/common';
import { withTimeout } from '@signet/config';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type DependencyStatus =
  { status: 'up'; kind: string } | { status: 'down'; kind: string; error: string };

/** A readiness probe must answer quickly even when a dependency hangs: slower than this counts as down. */
const PING_TIMEOUT_MS = 2000;

/**
 * The worker's health probes (WORKER_HEALTH_PORT), the same shape as the API's: `GET /health/live` (the
 * process runs) and `GET /health/ready` (200 when every dependency answers, else 503 naming what is down).
 */
export class WorkerHealth {
  private constructor(private readonly server: Server) {}

  static async listen(
    port: number,
    host: string,
    checks: Record<string, { kind: string; ping: () => Promise<unknown> }>,
  ): Promise<WorkerHealth> {
    const server = createServer((request, response) => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'GET') return reply(405, { status: 'method-not-allowed' });
      if (request.url === '/health/live') return reply(200, { status: 'ok' });
      if (request.url !== '/health/ready') return reply(404, { status: 'not-found' });
      void report(checks).then((dependencies) => {
        const ok = Object.values(dependencies).every((d) => d.status === 'up');
        reply(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', dependencies });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    const { address, port: bound } = server.address() as AddressInfo;
    const shown = address.includes(':') ? `[${address}]` : address;
    new Logger('Worker').log(`Worker health on http://${shown}:${bound} (/health/live, /health/ready)`);
    return new WorkerHealth(server);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function report(
  checks: Record<string, { kind: string; ping: () => Promise<unknown> }>,
): Promise<Record<string, DependencyStatus>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, { kind, ping }]): Promise<[string, DependencyStatus]> => {
      try {
        await withTimeout(ping(), PING_TIMEOUT_MS);
        return [name, { status: 'up', kind }];
      } catch (error) {
        return [name, { status: 'down', kind, error: (error as Error).message }];
      }
    }),
  );
  return Object.fromEntries(entries);
}
