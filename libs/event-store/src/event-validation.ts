import type { EventToAppend } from './event-store.port';

/** An event's data and metadata as JSON text, checked: what every adapter writes. */
export interface EventJson {
  data: string;
  metadata: string;
}

/**
 * The checks every adapter makes on one event to append before touching its store: a non-empty id and type,
 * and data and metadata that are JSON objects. Returns the data and metadata serialised. `index` is the
 * event's place in the append, named when it has no usable id.
 */
export function checkedEventJson(event: EventToAppend, index: number): EventJson {
  if (typeof event.id !== 'string' || event.id === '') {
    throw new TypeError(`Event ${index}: id must be a string`);
  }
  if (typeof event.type !== 'string' || event.type === '') {
    throw new TypeError(`Event ${event.id}: type must be a non-empty string`);
  }
  return { data: fieldJson(event, 'data'), metadata: fieldJson(event, 'metadata') };
}

/** A JSON object: not null, not an array, not binary. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function fieldJson(event: EventToAppend, field: 'data' | 'metadata'): string {
  const value = event[field];
  if (!isPlainObject(value)) throw new TypeError(`Event ${event.id}: ${field} must be an object`);
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`Event ${event.id}: ${field} is not JSON-serialisable (${String(error)})`);
  }
}
