import { MongoClient, type Db } from 'mongodb';

/**
 * A MongoDB client and database as every Signet store opens them (`MONGO_URL`): the database from the URL's
 * path (default `signet`) unless `database` overrides it, and a 5 s server-selection timeout unless the URL
 * sets one, so a command fails fast when the server is away (start-up waits retry on their own).
 */
export function connectMongo(
  url: string,
  options: { database?: string; useBigInt64?: boolean } = {},
): { client: MongoClient; db: Db } {
  const explicitTimeout = /[?&]serverSelectionTimeoutMS=/i.test(url);
  const client = new MongoClient(url, {
    ...(options.useBigInt64 ? { useBigInt64: true } : {}),
    ...(explicitTimeout ? {} : { serverSelectionTimeoutMS: 5000 }),
    appName: 'signet',
  });
  return { client, db: client.db(options.database ?? databaseOf(url) ?? 'signet') };
}

/** The database named by the connection string's path, if any. */
export function databaseOf(url: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(url);
  return match ? decodeURIComponent(match[1]) : undefined;
}
