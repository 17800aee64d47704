import { loadConfig } from '@signet/config';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './support/processes';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: string[];
  volumes?: string[];
}

/**
 * docker/docker-compose.yml cannot be started here (no Docker engine), so it is checked as far as it can be
 * without one: parsed as Compose parses it, and the API's and the worker's environments, interpolated as
 * Compose would, run through Signet's own configuration validation.
 */
describe('docker/docker-compose.yml', () => {
  const file = join(ROOT, 'docker/docker-compose.yml');
  const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const { services } = compose;
  const shell = {
    CODE_SECRET: 'ab'.repeat(32),
    JWT_SECRET: 'cd'.repeat(32),
    DATA_KEY_SECRET: 'ef'.repeat(32),
  };
  let dataDir: string;

  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'signet-compose-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}. */
  const interpolate = (value: string, env: Record<string, string>): string =>
    value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
      if (env[name]) return env[name];
      if (kind === '?') throw new Error(`${name}: ${rest}`);
      return kind === '-' ? rest! : '';
    });
  const environmentOf = (name: string, env: Record<string, string> = shell) =>
    Object.fromEntries(
      Object.entries(services[name].environment ?? {}).map(([key, value]) => [
        key,
        interpolate(String(value), env),
      ]),
    );

  it('uses only what Compose can interpolate: no bare $ outside ${...}', () => {
    const text = readFileSync(file, 'utf8');
    for (const [line, n] of text.split('\n').map((l, i) => [l, i + 1] as const)) {
      if (line.trimStart().startsWith('#')) continue;
      const bare = line.replace(/\$\$/g, '').replace(/\$\{\w+(:[-?][^}$]*)?\}/g, '');
      expect({ line: n, text: bare.includes('$') ? line : 'ok' }).toEqual({ line: n, text: 'ok' });
    }
  });

  it('runs the stores, the API and the worker, each app from the image built by docker/Dockerfile', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'eventstore', 'mongo', 'redis', 'worker']);
    for (const app of ['api', 'worker']) {
      expect(services[app].build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(
        existsSync(join(ROOT, 'docker', services[app].build!.context, services[app].build!.dockerfile)),
      ).toBe(true);
      const [node, main] = services[app].command!;
      expect(node).toBe('node');
      expect(main).toBe(`dist/apps/${app}/src/main.js`);
      expect(existsSync(join(ROOT, main))).toBe(true); // the path the image's build produces
    }
  });

  it("starts the API and the worker only once every store's health check passes", () => {
    for (const store of ['eventstore', 'mongo', 'redis']) {
      expect(services[store].healthcheck?.test?.length).toBeGreaterThan(0);
    }
    for (const app of ['api', 'worker']) {
      expect(services[app].depends_on).toEqual({
        eventstore: { condition: 'service_healthy' },
        mongo: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    expect(services.api.healthcheck?.test?.join(' ')).toContain('/health/ready');
    // The worker has no API: its probes are on WORKER_HEALTH_PORT.
    expect(services.worker.healthcheck?.test?.join(' ')).toContain('127.0.0.1:3001/health/ready');
    expect(services.worker.environment).toMatchObject({ WORKER_HEALTH_PORT: '3001' });
  });

  it("gives the API and the worker a configuration Signet's own validation accepts, on the production stores", () => {
    for (const app of ['api', 'worker']) {
      const config = loadConfig({ ...environmentOf(app), DATA_DIR: dataDir });
      expect(config.eventStore.url).toBe('esdb://eventstore:2113?tls=false');
      expect(config.readModel.url).toBe('mongodb://mongo:27017/signet');
      expect(config.dispatch.redisUrl).toBe('redis://redis:6379');
      expect(config.dispatch.privateRedis).toBeNull();
      // Nothing generated into DATA_DIR: the two containers could not share it.
      expect(config.generatedSecrets).toEqual([]);
    }
    // The worker derives the code the API checks, and the CLI in either container mints tokens the API accepts.
    expect(environmentOf('worker').CODE_SECRET).toBe(environmentOf('api').CODE_SECRET);
    expect(environmentOf('worker').JWT_SECRET).toBe(environmentOf('api').JWT_SECRET);
    expect(services.api.ports).toEqual([`${environmentOf('api').PORT}:${environmentOf('api').PORT}`]);
  });

  it('refuses to start without the shared secrets, saying how to make them', () => {
    expect(() => environmentOf('api', {})).toThrow(
      /CODE_SECRET: set CODE_SECRET to 32 random bytes in hex \(openssl rand -hex 32\)/,
    );
  });

  it('keeps every store on a declared volume', () => {
    const used = Object.values(services).flatMap((service) =>
      (service.volumes ?? []).map((volume) => volume.split(':')[0]),
    );
    expect(new Set(used)).toEqual(new Set(Object.keys(compose.volumes)));
    for (const store of ['eventstore', 'mongo', 'redis'])
      expect(services[store].volumes?.length).toBeGreaterThan(0);
  });
});
