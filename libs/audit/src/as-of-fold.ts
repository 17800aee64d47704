import {
  evolvePageState,
  initialPageState,
  isDeliveryEvent,
  securityInfoEventOf,
  type SecurityInfoPageState,
} from '@signet/domain';
import type { RecordedEvent } from '@signet/event-store';
import { occurredAt } from './history';

/**
 * A fold of a user's Security info stream up to `last`, as the as-of view replays it: the page's state,
 * `change` the last event that changed the page (delivery outcomes recorded on the Security info stream before
 * they had a stream of their own are passed over), and `reachedAt` the latest time any folded event occurred
 * (a moment at or after it has every one of them). `E` is how the events are kept: as read, or stored.
 */
export interface AsOfFold<E = RecordedEvent> {
  state: SecurityInfoPageState;
  last: E;
  change: E | null;
  reachedAt: number;
}

/**
 * One more event of the Security info stream, with the domain's `evolve`: the one step both the as-of replay
 * and the snapshot projection take, so a snapshot is the replay's own fold.
 */
export function foldAsOf<E>(
  fold: AsOfFold<E> | null,
  event: RecordedEvent,
  keep: (event: RecordedEvent) => E,
): AsOfFold<E> {
  const domainEvent = securityInfoEventOf(event);
  const kept = keep(event);
  const at = occurredAt(event).getTime();
  return {
    state: evolvePageState(fold?.state ?? initialPageState, domainEvent),
    last: kept,
    change: isDeliveryEvent(domainEvent) ? (fold?.change ?? null) : kept,
    reachedAt: fold && fold.reachedAt > at ? fold.reachedAt : at,
  };
}
