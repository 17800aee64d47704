import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import { runSignetProcess } from '@signet/lifecycle';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

type App = 'api' | 'worker';

/** The longest wait between two restarts of a child, however many times it crashed. */
const MAX_BACKOFF_MS = 30_000;

interface Child {
  app: App;
  process: ChildProcess;
  exited: Promise<void>;
}

class Supervisor {
  private readonly logger = new Logger('Launcher');
  private readonly children = new Map<App, Child>();
  private readonly crashes = new Map<App, number[]>();
  private readonly pendingRestarts = new Set<NodeJS.Timeout>();
  private closing = false;

  constructor(private readonly config: SignetConfig) {}

  launch(app: App): void {
    const child = spawn(process.execPath, [join(__dirname, '..', '..', app, 'src', 'main.js')], {
      stdio: 'inherit',
    });
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        resolve();
        if (!this.closing) this.crashed(app, signal ?? `exit ${code}`, code);
      }),
    );
    this.children.set(app, { app, process: child, exited });
    this.logger.log(`Started the ${app} (pid ${child.pid})`);
  }

  private crashed(app: App, how: string, code: number | null): void {
    const { restartBackoffMs, maxRestarts, restartWindowMs } = this.config.launcher;
    const now = Date.now();
    const recent = [...(this.crashes.get(app) ?? []), now].filter((at) => now - at <= restartWindowMs);
    this.crashes.set(app, recent);
    if (code === 2) {
      this.giveUp(`The ${app} stopped with a configuration error (exit 2); stopping everything.`);
    } else if (recent.length > maxRestarts) {
      this.giveUp(
        `The ${app} stopped (${how}), its crash ${recent.length} within ${restartWindowMs} ms ` +
          `(LAUNCHER_MAX_RESTARTS=${maxRestarts}); stopping everything.`,
      );
    } else {
      const delay = Math.min(MAX_BACKOFF_MS, restartBackoffMs * 2 ** (recent.length - 1));
      this.logger.warn(
        `The ${app} stopped (${how}); restarting it in ${delay} ms ` +
          `(crash ${recent.length} of at most ${maxRestarts} within ${restartWindowMs} ms).`,
      );
      const timer = setTimeout(() => {
        this.pendingRestarts.delete(timer);
        if (!this.closing) this.launch(app);
      }, delay);
      this.pendingRestarts.add(timer);
    }
  }

  private giveUp(message: string): void {
    this.logger.error(message);
    this.stopAll().then(
      () => process.exit(1),
      () => process.exit(1),
    );
  }

  /** SIGTERM to every child; one still running after SHUTDOWN_TIMEOUT_MS is killed. */
  async stopAll(): Promise<void> {
    this.closing = true;
    for (const timer of this.pendingRestarts) clearTimeout(timer);
    this.pendingRestarts.clear();
    const running = [...this.children.values()].filter(
      (c) => c.process.exitCode === null && c.process.signalCode === null,
    );
    for (const { process: child } of running) child.kill('SIGTERM');
    await Promise.all(
      running.map(async ({ app, process: child, exited }) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), this.config.shutdownTimeoutMs + 1000);
        });
        if ((await Promise.race([exited, late])) === 'late') {
          this.logger.error(
            `The ${app} did not stop within ${this.config.shutdownTimeoutMs} ms; killing it.`,
          );
          child.kill('SIGKILL');
          await exited;
        }
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * `npm start`: the API and the worker side by side, as two processes sharing the environment (and so the
 * embedded stores in DATA_DIR). Production runs them apart (`npm run start:api`, `npm run start:worker`) to
 * scale each on its own.
 *
 * A supervisor for its two children: one that stops on its own is restarted after a backoff (doubling with
 * each crash, LAUNCHER_RESTART_BACKOFF_MS first), and the launcher says so. A child that crashes more than
 * LAUNCHER_MAX_RESTARTS times within LAUNCHER_RESTART_WINDOW_MS (or exits 2, a configuration error no restart
 * mends) stops everything, and the launcher exits 1 so that its own supervisor sees it. A signal stops both
 * gracefully: each child has SHUTDOWN_TIMEOUT_MS, then is killed.
 */
runSignetProcess(
  'Launcher',
  async (config) => {
    const supervisor = new Supervisor(config);
    for (const app of ['api', 'worker'] as const) supervisor.launch(app);
    return { close: () => supervisor.stopAll() };
  },
  // The children's own graceful shutdown, then the kill of any that outlasted it, fit in the launcher's.
  { closeDeadlineMs: (config) => config.shutdownTimeoutMs + 5000 },
);
