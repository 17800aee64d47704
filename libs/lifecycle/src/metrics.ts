import { createServer, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  register,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/**
 * One Prometheus registry per process (prom-client's default one), with the process metrics (CPU, memory, event
 * loop lag, GC). Metrics are made once per process by name, so two apps in one process (tests) share them.
 */
export const metricsRegistry = register;
let defaultsCollected = false;

function once<T>(name: string, make: () => T): T {
  if (!defaultsCollected) {
    defaultsCollected = true;
    collectDefaultMetrics({ register, prefix: 'signet_' });
  }
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export function counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  return once(config.name, () => new Counter(config));
}
export function histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
  return once(config.name, () => new Histogram(config));
}
export function gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
  return once(config.name, () => new Gauge(config));
}

/** Latency buckets in seconds, from 1 ms to 10 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Whether an Authorization header carries the metrics token (always true when none is configured). */
export function metricsAuthorised(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Serves GET /metrics on a port of its own (the worker has no other HTTP). */
export async function serveMetrics(port: number, host: string, token?: string): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      if (!metricsAuthorised(request.headers.authorization, token)) {
        response.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"' }).end();
        return;
      }
      const body = await metricsRegistry.metrics();
      response.writeHead(200, { 'Content-Type': metricsRegistry.contentType }).end(body);
    })().catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
