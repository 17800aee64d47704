import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThreadChannel } from './thread-channel';

/** A thread that answers with its request doubled, fails on a negative one, and dies on zero. */
const THREAD = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => {
  if (n === null) return parentPort.close();
  if (n === 0) process.exit(3);
  if (n < 0) return parentPort.postMessage({ failure: { kind: 'error', name: 'RangeError', message: 'negative', code: 'NEG' } });
  parentPort.postMessage({ answer: n * 2 });
});
`;

describe('ThreadChannel', () => {
  let dir: string;
  let channel: ThreadChannel<number, number>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signet-thread-channel-'));
    writeFileSync(join(dir, 'thread.js'), THREAD);
    channel = new ThreadChannel<number, number>(
      { compiled: join(dir, 'thread.js'), fromSources: () => join(dir, 'thread.js') },
      null,
      'The test thread',
    );
  });

  afterEach(async () => {
    await channel.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers one request at a time, in order, and makes a reported failure an Error again', async () => {
    expect(await channel.request(2)).toBe(4);
    await expect(channel.request(-1)).rejects.toMatchObject({
      name: 'RangeError',
      message: 'negative',
      code: 'NEG',
    });
    expect(await channel.request(5)).toBe(10);
  });

  it('refuses a second request while one is in flight', async () => {
    const first = channel.request(1);
    await expect(channel.request(2)).rejects.toThrow(/one request at a time/);
    expect(await first).toBe(2);
  });

  it('fails the request in flight and every later one when the thread dies', async () => {
    await expect(channel.request(0)).rejects.toThrow('The test thread stopped (exit 3)');
    await expect(channel.request(1)).rejects.toThrow('The test thread stopped (exit 3)');
  });
});
