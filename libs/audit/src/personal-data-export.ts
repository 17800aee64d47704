import type { EventStore } from '@signet/event-store';
import { readAccessLog, type AccessLogEntry } from './access-log';
import { historyItemOf, type HistoryItem } from './history';
import { readUserStreams } from './user-streams';

/**
 * Everything Signet holds about one person, for the person (GDPR Art. 15 and 20): their whole history with
 * numbers in full (what they changed, every code sent, by which channel, and what became of it), the changes
 * others made (help desk, the system), and every look at their data from the access log.
 */
export interface PersonalDataCopy {
  userId: string;
  /** Their history, oldest first, numbers in full (`[erased]` where an erasure left nothing to read). */
  history: HistoryItem[];
  /** The events of that history someone else caused (an administrator, a service, the dispatcher). */
  changesByOthers: HistoryItem[];
  /** Who read, exported or erased their data, and when (the person's own copies included). */
  accesses: AccessLogEntry[];
}

const ACCESS_LOG_PAGE = 1000;

export async function personalDataCopy(store: EventStore, userId: string): Promise<PersonalDataCopy> {
  const history: HistoryItem[] = [];
  for await (const event of readUserStreams(store, userId)) history.push(historyItemOf(event, 'revealed'));
  const changesByOthers = history.filter((item) => subjectOf(item.actor) !== userId);
  const accesses: AccessLogEntry[] = [];
  let afterRevision: bigint | undefined;
  for (;;) {
    const page = await readAccessLog(store, { userId, afterRevision, limit: ACCESS_LOG_PAGE });
    // Someone's look at everyone's history covers this person's too; their own look is theirs.
    accesses.push(...page.items);
    if (page.items.length === 0 || page.next === null) break;
    afterRevision = BigInt(page.items[page.items.length - 1].revision);
  }
  return { userId, history, changesByOthers, accesses };
}

function subjectOf(actor: unknown): string | null {
  const subject = (actor as { subject?: unknown } | null)?.subject;
  return typeof subject === 'string' ? subject : null;
}
