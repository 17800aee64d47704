import {
  AuditQueryError,
  decodeCursor,
  EXPORT_FORMATS,
  exportEvents,
  parseDisclosure,
  parseEventTypes,
  parseInstant,
  parseRevision,
  readUserHistory,
  recordAccess,
  securityInfoAsOf,
  verifyChains,
  type AuditAction,
  type ChainHead,
  type ExportFormat,
  type PhoneNumberDisclosure,
} from '@signet/audit';
import { loadConfig } from '@signet/config';
import type { EventStore } from '@signet/event-store';
import { createWriteStream, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { storedFormOf } from '@signet/personal-data';
import { withEventStore } from '../stores';
import { UsageError, type CliCommand } from '../cli-command';

const REVEAL = `[--reveal-phone-numbers --reason <text>]`;

export const auditCommand: CliCommand = {
  name: 'audit',
  usage: `audit history --user <id> [--from <ISO>] [--to <ISO>] [--types A,B] ${REVEAL} [--as <name>]
      Print a user's history as NDJSON, in order (from inclusive, to exclusive, by when events occurred).
  audit as-of --user <id> (--at <ISO> | --revision <n>) ${REVEAL} [--as <name>]
      Print the Security info page as it stood then, and the event that last changed it.
  audit export [--user <id>] [--from <ISO>] [--to <ISO>] [--format ndjson|csv] [--out <file>] ${REVEAL} [--as <name>]
      Export one user's or everyone's events (default ndjson to stdout), with a progress bar on stderr.
  audit verify [--user <id>] [--checkpoint <file>] [--as <name>]
      Recompute the hash chains (one user's or every stream); report the first broken link and exit 1.
      --checkpoint: the heads saved there by the last run must still be there; saves the new heads.
      Phone numbers are masked unless revealed with a reason. Every audit command is recorded in the access
      log as --as <name> (default: the OS user).`,
  async run(args) {
    const [action, ...rest] = args;
    const run = ACTIONS[action as keyof typeof ACTIONS];
    if (!run) throw new UsageError(`audit needs one of: ${Object.keys(ACTIONS).join(', ')}`);
    const { values } = parseArgs({ args: rest, options: OPTIONS, strict: true });
    try {
      return await withEventStore<string | void>((store) => run(store, values));
    } catch (error) {
      throw error instanceof AuditQueryError ? new UsageError(error.message) : error;
    }
  },
};

const OPTIONS = {
  user: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  types: { type: 'string' },
  at: { type: 'string' },
  revision: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'reveal-phone-numbers': { type: 'boolean' },
  reason: { type: 'string' },
  as: { type: 'string' },
  checkpoint: { type: 'string' },
} as const;

type Options = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

const ACTIONS = {
  async history(store: EventStore, options: Options): Promise<void> {
    const userId = requiredUser(options);
    const { disclosure, reason } = disclosureOf(options);
    const query = timeRange(options);
    const types = options.types === undefined ? undefined : parseEventTypes('--types', options.types);
    await record(store, 'history', userId, options, disclosure, reason);
    let afterPosition: bigint | undefined;
    do {
      const page = await readUserHistory(
        store,
        userId,
        { ...query, types, afterPosition, limit: 500 },
        disclosure,
      );
      for (const item of page.items) await writeOut(`${JSON.stringify(item)}\n`);
      afterPosition = page.next === null ? undefined : decodeCursor(page.next)!;
    } while (afterPosition !== undefined);
  },

  async 'as-of'(store: EventStore, options: Options): Promise<string> {
    const userId = requiredUser(options);
    const { disclosure, reason } = disclosureOf(options);
    if ((options.at === undefined) === (options.revision === undefined)) {
      throw new UsageError('audit as-of needs exactly one of --at <ISO> and --revision <n>');
    }
    const moment =
      options.at !== undefined
        ? { asOf: parseInstant('--at', options.at) }
        : { revision: parseRevision('--revision', options.revision!) };
    await record(store, 'asOf', userId, options, disclosure, reason);
    // Rendered under the configured rules (the pending-method TTL, the resend cooldown), as the page is.
    const { policy } = loadConfig();
    return JSON.stringify(
      await securityInfoAsOf(store, userId, moment, disclosure, undefined, policy),
      null,
      2,
    );
  },

  async export(store: EventStore, options: Options): Promise<void> {
    const { disclosure, reason } = disclosureOf(options);
    const format = (options.format ?? 'ndjson') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format))
      throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
    const range = timeRange(options);
    const out = options.out === undefined ? process.stdout : createWriteStream(options.out);
    // Fails here (exit 1, with the reason) when the file cannot be written, before anything is read.
    if (out !== process.stdout) await once(out, 'open');
    await record(store, 'export', options.user ?? null, options, disclosure, reason);
    const progress = new ProgressBar('Exporting');
    const started = Date.now();
    const exported = await exportEvents(
      store,
      { userId: options.user, ...range, format, phoneNumbers: disclosure },
      out,
      (done, total) => progress.update(done, total),
    );
    progress.done();
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    // Peak memory is reported so that "constant memory" can be checked, by people and by the tests.
    process.stderr.write(
      `Exported ${exported} events in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(peak RSS ${process.resourceUsage().maxRSS} kB)\n`,
    );
  },

  async verify(store: EventStore, options: Options): Promise<string> {
    await record(store, 'verify', options.user ?? null, options, 'masked', null);
    const checkpoint = options.checkpoint === undefined ? [] : readCheckpoint(options.checkpoint);
    // The chains cover the events as stored: personal fields sealed, whether or not their key still exists.
    const result = await verifyChains(storedFormOf(store), { userId: options.user, checkpoint });
    const { broken } = result;
    if (broken) {
      throw new Error(
        `Hash chain broken (${broken.kind}) in stream ${broken.streamId} at revision ${broken.revision}` +
          `${broken.position === null ? '' : `, position ${broken.position}`}` +
          `\n  expected: ${broken.expected}\n  actual:   ${broken.actual}`,
      );
    }
    let saved = '';
    if (options.checkpoint !== undefined) {
      writeCheckpoint(options.checkpoint, checkpoint, result.heads);
      saved = ` Heads saved to ${options.checkpoint}.`;
    }
    return `Verified ${result.events} events in ${result.streams} streams: every hash chain holds.${saved}`;
  },
};

/** Chain heads of an earlier run, one JSON object a line; none yet when the file does not exist. */
function readCheckpoint(file: string): ChainHead[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const head = JSON.parse(line) as Partial<ChainHead>;
      if (
        typeof head.streamId !== 'string' ||
        typeof head.revision !== 'string' ||
        typeof head.hash !== 'string'
      ) {
        throw new UsageError(`${file}, line ${index + 1}: not a chain head {streamId, revision, hash}`);
      }
      return head as ChainHead;
    });
}

/** The earlier heads updated with the verified ones, replaced atomically (a crash leaves the old file). */
function writeCheckpoint(file: string, earlier: ChainHead[], verified: ChainHead[]): void {
  const heads = new Map(earlier.map((head) => [head.streamId, head]));
  for (const head of verified) heads.set(head.streamId, head);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, [...heads.values()].map((head) => `${JSON.stringify(head)}\n`).join(''));
  renameSync(temporary, file);
}

function requiredUser(options: Options): string {
  if (!options.user) throw new UsageError('This audit command needs --user <id>');
  return options.user;
}

function timeRange(options: Options): { from?: Date; to?: Date } {
  return {
    from: options.from === undefined ? undefined : parseInstant('--from', options.from),
    to: options.to === undefined ? undefined : parseInstant('--to', options.to),
  };
}

function disclosureOf(options: Options): { disclosure: PhoneNumberDisclosure; reason: string | null } {
  return parseDisclosure(
    {
      parameter: '--reveal-phone-numbers',
      value: options['reveal-phone-numbers'] ? 'phoneNumbers' : undefined,
    },
    { parameter: '--reason', value: options.reason },
  );
}

/** The CLI's reads are logged like the API's: as `--as <name>`, else the OS user, from this host. */
function record(
  store: EventStore,
  action: AuditAction,
  userId: string | null,
  options: Options,
  phoneNumbers: PhoneNumberDisclosure,
  reason: string | null,
): Promise<void> {
  const { as, reason: _kept, ...asked } = options;
  const query = Object.fromEntries(Object.entries(asked).map(([name, value]) => [name, String(value)]));
  return recordAccess(
    store,
    {
      accessor: { subject: as?.trim() || osUser(), roles: [], via: 'cli' },
      action,
      userId,
      query,
      phoneNumbers,
      reason,
      clientAddress: null,
      userAgent: `signet-cli on ${hostname()}`,
      correlationId: null,
    },
    new Date(),
  );
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** A one-line progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise. */
class ProgressBar {
  private lastShown = -1;
  private lastDrawAt = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string) {}

  update(done: bigint, total: bigint): void {
    const percent = total > 0n && done < total ? Number((done * 100n) / total) : 100;
    if (this.tty) {
      const now = Date.now();
      if (percent === this.lastShown || (now - this.lastDrawAt < 100 && percent < 100)) return;
      this.lastDrawAt = now;
      const filled = Math.round(percent / 4);
      process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(25 - filled)}] ${percent}%`);
    } else if (Math.floor(percent / 10) > Math.floor(this.lastShown / 10)) {
      process.stderr.write(`${this.label}: ${percent}%\n`);
    } else {
      return;
    }
    this.lastShown = percent;
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
