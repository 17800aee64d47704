import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSignetProcess } from './signet-process';

describe('runSignetProcess', () => {
  const savedDataDir = process.env.DATA_DIR;
  let exit: jest.SpyInstance;
  const signals = ['SIGTERM', 'SIGINT'] as const;
  let before: Map<string, unknown[]>;

  beforeEach(() => {
    before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
    process.env.DATA_DIR = mkdtempSync(join(tmpdir(), 'signet-lifecycle-'));
    exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  });
  afterEach(() => {
    exit.mockRestore();
    // Only the handlers the test installed: the test runner may have its own.
    for (const signal of signals) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener as never);
      }
    }
    if (savedDataDir === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = savedDataDir;
  });

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('closes gracefully on a signal that arrives while start-up is still announcing itself', async () => {
    const close = jest.fn(async () => undefined);
    let finishStart!: () => void;
    runSignetProcess('Test', () => new Promise((resolve) => (finishStart = () => resolve({ close }))));
    // A supervisor reads the "listening" line and signals before start() has returned.
    process.emit('SIGTERM');
    await settle();
    expect(close).not.toHaveBeenCalled();
    finishStart();
    await settle();
    expect(close).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits 1 when close fails', async () => {
    runSignetProcess('Test', async () => ({ close: () => Promise.reject(new Error('stuck')) }));
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    process.emit('SIGINT');
    await settle();
    expect(exit).toHaveBeenCalledWith(1);
    error.mockRestore();
  });
});
