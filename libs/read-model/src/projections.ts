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

export function projectionNamed(name: string, options?: ProjectionOptions): Projection | undefined {
  return projectionsOf(options).find((p) => p.name === name);
}
