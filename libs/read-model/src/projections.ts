import type { Projection } from './projection';
import { securityInfoPageProjection } from './security-info-projection';

/** Every projection the runner keeps live and the operators can rebuild, by name. */
export const PROJECTIONS: Projection[] = [securityInfoPageProjection as Projection];

export function projectionNamed(name: string): Projection | undefined {
  return PROJECTIONS.find((p) => p.name === name);
}
