import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@signet/testing';
import { runSignetProcess, type ProcessControl } from './signet-process';

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

  it('exits 1 when close outlasts SHUTDOWN_TIMEOUT_MS, instead of hanging', async () => {
    process.env.SHUTDOWN_TIMEOUT_MS = '1000';
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      runSignetProcess('Test', async () => ({ close: () => new Promise<void>(() => undefined) }));
      process.emit('SIGTERM');
      await settle();
      expect(exit).not.toHaveBeenCalled();
      await eventually(() => expect(exit).toHaveBeenCalledWith(1), { timeoutMs: 3000 });
      expect(error).toHaveBeenCalledWith(expect.stringMatching(/did not close within 1000 ms/));
    } finally {
      delete process.env.SHUTDOWN_TIMEOUT_MS;
      error.mockRestore();
    }
  });

  it('closes and exits 1 when the process reports a fatal failure', async () => {
    const close = jest.fn(async () => undefined);
    let control!: ProcessControl;
    runSignetProcess('Test', async (_config, given) => {
      control = given;
      return { close };
    });
    await settle();
    control.fail(new Error('The private redis-server will not start again'));
    await eventually(() => expect(exit).toHaveBeenCalledWith(1));
    expect(close).toHaveBeenCalledTimes(1);
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
