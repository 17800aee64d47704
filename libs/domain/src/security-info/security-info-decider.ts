import type { Decider } from '../decider';
import type { SecurityInfoCommand } from './commands';
import { decide } from './decide';
import type { SecurityInfoEvent } from './events';
import { evolve, initialState, type SecurityInfo } from './security-info';

/** Every rule of a person's Security info stream, in the decider shape. */
export const securityInfoDecider: Decider<SecurityInfo, SecurityInfoCommand, SecurityInfoEvent> = {
  decide,
  evolve,
  initialState: () => initialState,
};
