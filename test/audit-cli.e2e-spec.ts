import Database from 'better-sqlite3';
import { openEventStore, type EventStore, type EventToAppend } from '@signet/event-store';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, cli } from './support/processes';
import { Person, SignetTestApp, wrongCode } from './support/signet-app';

const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const OFFICE = { phoneNumber: '+1 425 555 0199', phoneType: 'office', deliveryMethod: 'voice' };

beforeAll(async () => {
  await build();
}, 120_000);

describe('npm run cli -- audit', () => {
  let signet: SignetTestApp;
  let env: NodeJS.ProcessEnv;
  let raw: Database.Database;
  let auditor: string;
  const codes: string[] = [];
  const audit = (...args: string[]) => cli(['audit', ...args], env);

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    env = { DATA_DIR: signet.config.dataDir, LOG_LEVEL: 'error' };
    auditor = await signet.token('audrey', ['auditor']);
    const alice = await Person.signIn(signet, 'alice');
    const added = await alice.addPhone(MOBILE).expect(201);
    const code = signet.codeFor(added.body.code.codeId);
    codes.push(code, wrongCode(code));
    // A minute between steps, so that each instant names one state.
    signet.clock.advance(60);
    await alice.verify(added.body.methodId, wrongCode(code)).expect(400);
    signet.clock.advance(60);
    await alice.verify(added.body.methodId, code).expect(200);
    signet.clock.advance(60);
    const office = await alice.addPhone(OFFICE).expect(201);
    codes.push(signet.codeFor(office.body.code.codeId));
    signet.clock.advance(60);
    await alice.changeDefault({ methodId: added.body.methodId, deliveryMethod: 'voice' }).expect(200);
    signet.clock.advance(60);
    await alice.deleteMethod(office.body.methodId).expect(200);
    const bob = await Person.signIn(signet, 'bob');
    await bob.addPhone(MOBILE).expect(201);
    // Behind the store's back, as someone with the file would tamper with it.
    raw = new Database(signet.config.eventStore.filename);
    raw.defaultSafeIntegers(true);
  });

  afterAll(async () => {
    raw.close();
    await signet.stop();
  });

  it('history: prints the whole history as NDJSON in order, phone numbers masked', async () => {
    const { code, stdout } = await audit('history', '--user', 'alice', '--as', 'carol');

    expect(code).toBe(0);
    const items = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const stream = await signet.streamOf('alice');
    expect(items.map((item) => [item.revision, item.type])).toEqual(
      stream.map((event) => [event.revision.toString(), event.type]),
    );
    expect(items[0].data.phoneNumber).toBe('+1 XXXXXXXX00');
    expect(stdout).not.toContain('4255550100');
    for (const secret of codes) expect(stdout).not.toMatch(new RegExp(`(^|[^0-9a-f])${secret}([^0-9a-f]|$)`));
  });

  it('as-of: answers as the API does, by instant or revision', async () => {
    const byRevision = await audit('as-of', '--user', 'alice', '--revision', '4');
    const overHttp = await signet
      .http()
      .get('/v1/audit/users/alice/security-info?revision=4')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);

    expect(byRevision.code).toBe(0);
    expect(JSON.parse(byRevision.stdout)).toEqual({
      page: overHttp.body.page,
      lastChange: overHttp.body.lastChange,
    });
    const at = (await signet.streamOf('alice'))[4].metadata.occurredAt as string;
    const byInstant = await audit('as-of', '--user', 'alice', '--at', at);
    expect(JSON.parse(byInstant.stdout).page).toEqual(overHttp.body.page);
  });

  it('export: one user or everyone, ndjson or csv, masked unless revealed with a reason', async () => {
    const ndjson = await audit('export', '--user', 'bob');
    expect(ndjson.code).toBe(0);
    const lines = ndjson.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.userId, l.type])).toEqual([
      ['bob', 'PhoneMethodAdded'],
      ['bob', 'CodeSent'],
    ]);
    expect(lines[0].data.phoneNumber).toBe('+1 XXXXXXXX00');
    expect(ndjson.stderr).toMatch(/Exported 2 events/);

    const out = join(signet.config.dataDir, 'everyone.csv');
    const csv = await audit(
      'export',
      '--format',
      'csv',
      '--out',
      out,
      '--reveal-phone-numbers',
      '--reason',
      'DSAR 9',
    );
    expect(csv.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    const all = (await signet.allEvents()).filter((event) =>
      /^(securityInfo|codeDelivery)-/.test(event.streamId),
    );
    expect(rows[0]).toMatch(/^userId,streamId,revision,position,eventId,type,occurredAt,/);
    expect(rows).toHaveLength(all.length + 1);
    expect(rows[1]).toContain('""phoneNumber"":""+14255550100""');
    expect(rows.slice(1).map((row) => row.split(',')[3])).toEqual(all.map((e) => e.position.toString()));

    const refused = await audit('export', '--reveal-phone-numbers');
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason') });
  });

  it('records every CLI read in the access log, as --as or the OS user', async () => {
    await audit('history', '--user', 'bob', '--as', 'carol');
    await audit('as-of', '--user', 'bob', '--revision', '0');
    const res = await signet
      .http()
      .get('/v1/audit/access-log?limit=1000')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);

    const cli = res.body.items.filter((entry: { accessor: { via: string } }) => entry.accessor.via === 'cli');
    expect(cli.slice(-2)).toEqual([
      expect.objectContaining({
        accessor: { subject: 'carol', roles: [], via: 'cli' },
        action: 'history',
        userId: 'bob',
      }),
      expect.objectContaining({ action: 'asOf', userId: 'bob', query: { user: 'bob', revision: '0' } }),
    ]);
    expect(cli.slice(-1)[0].accessor.subject).not.toBe('carol');
    expect(cli).toContainEqual(
      expect.objectContaining({ action: 'export', userId: null, phoneNumbers: 'revealed', reason: 'DSAR 9' }),
    );
  });

  it('refuses bad input with exit code 2 and a message', async () => {
    for (const args of [
      ['history'],
      ['history', '--user', 'alice', '--from', 'yesterday'],
      ['as-of', '--user', 'alice'],
      ['export', '--format', 'xml'],
      ['nothing'],
      ['verify', '--bogus'],
    ]) {
      const result = await audit(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr.trim()).not.toBe('');
    }
  });

  describe('verify', () => {
    const row = (streamId: string, revision: number) =>
      raw.prepare('SELECT * FROM events WHERE stream_id = ? AND revision = ?').get(streamId, revision) as {
        position: bigint;
        data: string;
      };
    const expectBroken = async (kind: string, revision: string, args: string[] = []) => {
      const result = await audit('verify', ...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `Hash chain broken (${kind}) in stream securityInfo-alice at revision ${revision}`,
      );
      expect(result.stderr).toMatch(/expected: .+\n\s+actual: .+/);
    };
    const expectIntact = async (args: string[] = []) => {
      const result = await audit('verify', ...args);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/every hash chain holds/);
    };

    it('holds for everyone and for one user when nothing was touched', async () => {
      await expectIntact();
      await expectIntact(['--user', 'alice']);
    });

    it('catches an altered event, then holds again once it is put back', async () => {
      const original = row('securityInfo-alice', 3);
      raw
        .prepare(
          `UPDATE events SET data = json_set(data, '$.verifiedAt', '2020-01-01T00:00:00.000Z') WHERE position = ?`,
        )
        .run(original.position);

      await expectBroken('altered', '3');
      await expectBroken('altered', '3', ['--user', 'alice']);

      raw.prepare('UPDATE events SET data = ? WHERE position = ?').run(original.data, original.position);
      await expectIntact();
    });

    it('catches a deleted event, then holds again once it is put back', async () => {
      const original = raw
        .prepare("SELECT * FROM events WHERE stream_id = 'securityInfo-alice' AND revision = 2")
        .get() as Record<string, unknown>;
      raw.prepare('DELETE FROM events WHERE position = ?').run(original.position);

      await expectBroken('missing-events', '3');

      raw
        .prepare(
          `INSERT INTO events (position, stream_id, revision, event_id, type, data, metadata, recorded_at)
           VALUES (@position, @stream_id, @revision, @event_id, @type, @data, @metadata, @recorded_at)`,
        )
        .run(original);
      await expectIntact();
    });

    it('catches reordered events, then holds again once they are put back', async () => {
      const [first, second] = [row('securityInfo-alice', 4).position, row('securityInfo-alice', 5).position];
      const swap = raw.transaction(() => {
        raw.prepare('UPDATE events SET position = -1 WHERE position = ?').run(first);
        raw.prepare('UPDATE events SET position = ? WHERE position = ?').run(first, second);
        raw.prepare('UPDATE events SET position = ? WHERE position = -1').run(second);
      });
      swap();

      await expectBroken('out-of-order', '5');
      await expectBroken('out-of-order', '5', ['--user', 'alice']);

      swap();
      await expectIntact();
    });

    it('with a checkpoint, catches the last events deleted', async () => {
      const checkpoint = join(signet.config.dataDir, 'heads.ndjson');
      await expectIntact(['--checkpoint', checkpoint]);
      expect(statSync(checkpoint).size).toBeGreaterThan(0);
      const stream = await signet.streamOf('alice');
      const last = stream[stream.length - 1].revision;
      const original = raw
        .prepare("SELECT * FROM events WHERE stream_id = 'securityInfo-alice' AND revision = ?")
        .get(last) as Record<string, unknown>;
      raw.prepare('DELETE FROM events WHERE position = ?').run(original.position);

      await expectIntact(); // a shorter chain is still a chain...
      await expectBroken('truncated', last.toString(), ['--checkpoint', checkpoint]); // ...but not the one we saw

      raw
        .prepare(
          `INSERT INTO events (position, stream_id, revision, event_id, type, data, metadata, recorded_at)
           VALUES (@position, @stream_id, @revision, @event_id, @type, @data, @metadata, @recorded_at)`,
        )
        .run(original);
      await expectIntact(['--checkpoint', checkpoint]);
    });
  });
});

describe('npm run cli -- audit export: memory', () => {
  const USERS_PER_BATCH = 200;
  const EVENTS_PER_USER = 100;
  let dataDir: string;
  let store: EventStore;
  let users = 0;

  /** Appends through the port (hash chain included), a user's 100 events at a time. */
  async function seedUsers(count: number): Promise<void> {
    for (let batch = 0; batch < count / USERS_PER_BATCH; batch++) {
      await Promise.all(
        Array.from({ length: USERS_PER_BATCH }, () => {
          const userId = `user-${++users}`;
          const events: EventToAppend[] = Array.from({ length: EVENTS_PER_USER }, (_, n) => {
            const id = randomUUID();
            return {
              id,
              type: n === 0 ? 'PhoneMethodAdded' : 'CodeSent',
              data: {
                methodId: 'm-1',
                phoneNumber: '+14255550100',
                codeId: randomUUID(),
                destination: '+1 XXXXXXXX00',
                sentAt: new Date(1_780_000_000_000 + n * 60_000).toISOString(),
              },
              metadata: {
                eventId: id,
                occurredAt: new Date(1_780_000_000_000 + n * 60_000).toISOString(),
                actor: { subject: userId, roles: ['user'] },
                correlationId: randomUUID(),
                causationId: randomUUID(),
                clientAddress: '203.0.113.7',
                userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Signet load',
              },
            };
          });
          return store.appendToStream(`securityInfo-${userId}`, events, { expectedRevision: 'no_stream' });
        }),
      );
    }
  }

  /** Exports everyone through the built CLI; returns the events written and the process's peak RSS. */
  async function exportEveryone(): Promise<{ events: number; peakRssKb: number }> {
    const out = join(dataDir, 'export.ndjson');
    const result = await cli(['audit', 'export', '--out', out], { DATA_DIR: dataDir, LOG_LEVEL: 'error' });
    expect(result.code).toBe(0);
    const summary = /Exported (\d+) events in [\d.]+ s \(peak RSS (\d+) kB\)/.exec(result.stderr);
    expect(summary).not.toBeNull();
    expect(result.stderr).toContain('Exporting: 100%');
    return { events: Number(summary![1]), peakRssKb: Number(summary![2]) };
  }

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'signet-export-'));
    store = openEventStore({
      eventStore: { filename: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL' },
    });
  });

  afterAll(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exports 100k events in the memory it needs for 20k', async () => {
    await seedUsers(200);
    const small = await exportEveryone();
    await seedUsers(800);
    const large = await exportEveryone();

    expect(small.events).toBe(20_000);
    expect(large.events).toBe(100_000);
    // Five times the events, and the peak barely moves: nothing grows with the size of the export.
    console.log(`export peak RSS: 20k events ${small.peakRssKb} kB, 100k events ${large.peakRssKb} kB`);
    expect(large.peakRssKb - small.peakRssKb).toBeLessThan(24 * 1024);
  }, 90_000);
});
