import { mkdtempSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxSender, readOutbox } from './outbox-sender';

// Counts the sender's reads of the file (the rest of node:fs as it is).
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return { ...actual, readSync: jest.fn(actual.readSync) };
});

describe('OutboxSender', () => {
  let dir: string;
  let filename: string;
  const message = (codeId: string) => ({
    to: '+14255550100',
    channel: 'sms' as const,
    body: `code for ${codeId}`,
    codeId,
    reference: 'r',
  });
  const codeIds = () => readOutbox(filename).map((line) => line.codeId);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signet-outbox-'));
    filename = join(dir, 'outbox.jsonl');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not read back the lines it wrote itself while no one else writes', async () => {
    const outbox = new OutboxSender(filename);
    await outbox.send(message('c1'));
    await outbox.send(message('c2'));
    jest.mocked(readSync).mockClear();

    await outbox.send(message('c3'));
    await outbox.send(message('c2'));
    await outbox.send(message('c1'));

    expect(readSync).not.toHaveBeenCalled();
    expect(codeIds()).toEqual(['c1', 'c2', 'c3']);
  });

  it('sees the lines another sender sharing the file wrote, between and after its own', async () => {
    const outbox = new OutboxSender(filename);
    const other = new OutboxSender(filename);
    await outbox.send(message('c1'));
    await other.send(message('c2'));
    await outbox.send(message('c3'));
    await other.send(message('c4'));

    await outbox.send(message('c2'));
    await outbox.send(message('c4'));
    await other.send(message('c3'));
    await other.send(message('c1'));

    expect(codeIds()).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('reads a replaced file from its start', async () => {
    const outbox = new OutboxSender(filename);
    await outbox.send(message('c1'));
    await outbox.send(message('c2'));
    writeFileSync(`${filename}.new`, '');
    renameSync(`${filename}.new`, filename);

    await outbox.send(message('c1'));

    expect(codeIds()).toEqual(['c1']);
  });
});
