import { asOfSnapshotsProjection } from '@signet/audit';
import type { Projection } from './projection';
import { securityInfoPageProjection } from './security-info-projection';

/** What the projections are built with (the configuration's `readModel`). */
export interface ProjectionOptions {
  /** AS_OF_SNAPSHOT_EVERY: the as-of snapshots keep a fold every this many events of a stream (0: none). */
  asOfSnapshotEvery?: number;
}

export const DEFAULT_AS_OF_SNAPSHOT_EVERY = 500;

/** Every projection the runner keeps live and the operators can rebuild, built with these options. */
export function projectionsOf(options: ProjectionOptions = {}): Projection[] {
  return [
    securityInfoPageProjection as Projection,
    asOfSnapshotsProjection(options.asOfSnapshotEvery ?? DEFAULT_AS_OF_SNAPSHOT_EVERY) as Projection,
  ];
}

/** Every projection, by name, with the default options. */
export const PROJECTIONS: Projection[] = projectionsOf();

/**
 * The processes that keep projections live: the API, and the worker beside it (`npm start` runs both).
 */
export type ProjectionHost = 'api' | 'worker';

/**
 * The projections `host` keeps live. The page in the API: requests wait on it (read-your-writes), so it
 * follows the log where they are answered. The as-of snapshots in the worker: no request waits on them, and
 * folding, sealing and writing one more document at every command cost the API ≈5 % of its CPU (profile)
 * and 8–25 MB of its peak memory at saturation (docs/benchmarks.md). Without a worker running, as-of answers stay right, from older
 * snapshots or a replay from the start (slower).
 */
export function liveProjectionsIn(host: ProjectionHost, options: ProjectionOptions = {}): Projection[] {
  return projectionsOf(options).filter((projection) =>
    host === 'api'
      ? projection.name === securityInfoPageProjection.name
      : projection.name !== securityInfoPageProjection.name,
  );
}

export function projectionNamed(name: string, options?: ProjectionOptions): Projection | undefined {
  return projectionsOf(options).find((p) => p.name === name);
}
