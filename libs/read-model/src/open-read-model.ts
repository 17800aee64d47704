import type { SignetConfig } from '@signet/config';
import type { ReadModelStore } from './read-model.port';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model-store';

/**
 * The read-model store the configuration asks for. The one place that chooses an adapter, shared by the API
 * and the CLI (MongoDB joins here when its URL is configured).
 */
export function openReadModelStore(config: Pick<SignetConfig, 'readModel'>): ReadModelStore {
  return new SqliteReadModelStore({ filename: config.readModel.filename });
}
