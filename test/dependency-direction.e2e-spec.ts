/**
 * The lint step keeps dependencies pointing one way (eslint.config.mjs, `boundaries`): each wrong import below
 * fails with the rule's message, and the right ones beside them pass.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

interface LintedText {
  filePath: string;
  messages: { ruleId: string | null; message: string }[];
}

/** Where a text is linted as if it were there, and what it imports. */
const texts = {
  domainOnNest: ['libs/domain/src/security-info/probe.ts', "export { Injectable } from '@nestjs/common';"],
  domainOnEventStore: ['libs/domain/src/probe.ts', "export type { EventStore } from '@signet/event-store';"],
  domainLeavingByPath: [
    'libs/domain/src/security-info/probe.ts',
    "export { EVENT_STORE } from '../../../event-store/src/event-store.port';",
  ],
  esdbOnSqlite: [
    'libs/event-store/src/esdb/probe.ts',
    "export { SqliteEventStore } from '../sqlite/sqlite-event-store';",
  ],
  sqliteOnEsdb: [
    'libs/event-store/src/sqlite/probe.ts',
    "export { EventStoreDbEventStore } from '../esdb/eventstoredb-event-store';",
  ],
  mongoReadModelOnSqlite: [
    'libs/read-model/src/mongo/probe.ts',
    "export { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';",
  ],
  twilioOnHttp: [
    'libs/messaging/src/providers/twilio/probe.ts',
    "export { signHttpPayload } from '../http/http-signature';",
  ],
  libraryOnApps: ['libs/read-model/src/probe.ts', "export { CLOCK } from '../../../apps/api/src/clock';"],
  libraryOnTesting: [
    'libs/read-model/src/probe.ts',
    "export { MongoWireDouble } from '@signet/mongo/testing';",
  ],
  appOnTesting: ['apps/api/src/probe.ts', "export { recordingReads } from '@signet/event-store/testing';"],
  testOnLibraryInternals: [
    'test/probe.e2e-spec.ts',
    "export { EsdbDouble } from '../libs/event-store/src/esdb/testing/esdb-double';",
  ],
  // The right ways round.
  domainInside: [
    'libs/domain/src/security-info/probe.ts',
    "import { securityInfoStream } from './stream';\nexport const stream = securityInfoStream;",
  ],
  esdbOnPort: [
    'libs/event-store/src/esdb/probe.ts',
    "export { WrongExpectedRevisionError } from '../event-store.port';\nexport { EventStoreClosedError } from '../event-store.errors';",
  ],
  mongoOnSharedMongo: [
    'libs/idempotency/src/mongo/probe.ts',
    "export { connectMongo } from '@signet/mongo';",
  ],
  specOnTesting: [
    'libs/read-model/src/mongo/probe.spec.ts',
    "export { MongoWireDouble } from '@signet/mongo/testing';",
  ],
  testOnAppWiring: ['test/support/probe.ts', "export { AppModule } from '../../apps/api/src/app.module';"],
} satisfies Record<string, [string, string]>;

type Text = keyof typeof texts;

describe('dependency direction (eslint.config.mjs)', () => {
  let linted: Record<Text, LintedText['messages']>;

  beforeAll(async () => {
    const names = Object.keys(texts) as Text[];
    const run = promisify(execFile)(process.execPath, [join(__dirname, 'support', 'lint-text.mjs')], {
      cwd: join(__dirname, '..'),
    });
    run.child.stdin!.end(
      JSON.stringify(names.map((name) => ({ filePath: texts[name][0], code: texts[name][1] }))),
    );
    const results = JSON.parse((await run).stdout) as LintedText[];
    linted = Object.fromEntries(names.map((name, i) => [name, results[i].messages])) as typeof linted;
  }, 60_000);

  const refused = (message: string) => [
    { ruleId: 'no-restricted-imports', message: expect.stringContaining(message) },
  ];

  it('keeps the domain off the framework', () => {
    expect(linted.domainOnNest).toEqual(refused('The domain has no framework imports'));
  });

  it('keeps the domain off every other library, by name or by path', () => {
    expect(linted.domainOnEventStore).toEqual(refused('The domain depends on no other Signet library'));
    expect(linted.domainLeavingByPath).toEqual(expect.arrayContaining(refused('no relative path leaves it')));
  });

  it('keeps an adapter off its sibling adapters', () => {
    expect(linted.esdbOnSqlite).toEqual(refused('An adapter never imports a sibling adapter (sqlite)'));
    expect(linted.sqliteOnEsdb).toEqual(refused('An adapter never imports a sibling adapter (esdb)'));
    expect(linted.mongoReadModelOnSqlite).toEqual(
      refused('An adapter never imports a sibling adapter (sqlite)'),
    );
    expect(linted.twilioOnHttp).toEqual(refused('An adapter never imports a sibling adapter (outbox, http)'));
  });

  it('keeps the libraries off the apps', () => {
    expect(linted.libraryOnApps).toEqual(refused('A library never imports from apps/'));
  });

  it('keeps test code out of production code', () => {
    expect(linted.libraryOnTesting).toEqual(refused('Production code never imports test code'));
    expect(linted.appOnTesting).toEqual(refused('Production code never imports test code'));
  });

  it("reaches another library's files through its entry points only", () => {
    expect(linted.testOnLibraryInternals).toEqual(refused('through its entry points'));
  });

  it('lets the right imports through', () => {
    expect(linted.domainInside).toEqual([]);
    expect(linted.esdbOnPort).toEqual([]);
    expect(linted.mongoOnSharedMongo).toEqual([]);
    expect(linted.specOnTesting).toEqual([]);
    expect(linted.testOnAppWiring).toEqual([]);
  });
});
