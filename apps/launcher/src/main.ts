import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { runSignetProcess } from '@signet/lifecycle';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm start`: the API and the worker side by side, as two processes sharing the environment (and so the
 * embedded stores in DATA_DIR). Production runs them apart (`npm run start:api`, `npm run start:worker`) to
 * scale each on its own. A signal stops both gracefully; if one dies, the other is stopped and the launcher
 * exits with the failure, so a supervisor sees it.
 */
runSignetProcess('Launcher', async () => {
  const logger = new Logger('Launcher');
  let closing = false;
  const children = (['api', 'worker'] as const).map((app) => {
    const child = spawn(process.execPath, [join(__dirname, '..', '..', app, 'src', 'main.js')], {
      stdio: 'inherit',
    });
    const exited = new Promise<number>((resolve) =>
      child.once('exit', (code, signal) => {
        if (!closing) {
          logger.error(`The ${app} stopped (${signal ?? `exit ${code}`}); stopping the rest.`);
          closing = true;
          stop(children.filter((c) => c.child !== child)).then(
            () => process.exit(code || 1),
            () => process.exit(1),
          );
        }
        resolve(code ?? 1);
      }),
    );
    return { child, exited };
  });
  return {
    close: async () => {
      closing = true;
      await stop(children);
    },
  };
});

async function stop(children: { child: ChildProcess; exited: Promise<number> }[]): Promise<void> {
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
}
