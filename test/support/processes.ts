import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * The apps are built once by the e2e project's globalSetup (test/support/build-once.js); this only checks that
 * the build is there, so a test file never rebuilds dist/ under another file's running processes.
 */
export async function build(): Promise<void> {
  for (const app of ['api', 'cli', 'worker']) {
    if (!existsSync(join(ROOT, `dist/apps/${app}/src/main.js`))) {
      throw new Error(
        `dist/apps/${app} is missing: run e2e tests through jest, whose globalSetup builds the apps`,
      );
    }
  }
}

/** Runs the CLI as an operator would: `npm run cli -- <args>`, without the npm wrapper. */
export async function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

export interface RunningApi {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

/**
 * Starts the built API (or the launcher, which runs the API and the worker as `npm start` does) with the given
 * environment; resolves once the API listens (or rejects with the output).
 */
export function startApi(env: NodeJS.ProcessEnv, app: 'api' | 'launcher' = 'api'): Promise<RunningApi> {
  const child = spawn('node', [join(ROOT, `dist/apps/${app}/src/main.js`)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /Security info API on (http:\/\/\S+)/.exec(output);
      if (listening) {
        resolve({
          url: listening[1].replace('[::1]', '127.0.0.1'),
          process: child,
          output: () => output,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`API exited with ${code} before listening:\n${output}`)));
  });
}
