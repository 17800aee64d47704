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

export interface RunningProcess {
  process: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process has exited (null when a signal killed it). */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface RunningApi extends RunningProcess {
  url: string;
}

/**
 * Starts a built app (`dist/apps/<app>`) with the given environment, as `npm run start:<app>` would without
 * npm; resolves once its output matches `ready.when` (with the match), or rejects with its output if it exits first.
 */
function startBuilt(
  app: 'api' | 'launcher' | 'worker',
  env: NodeJS.ProcessEnv,
  ready: { when: RegExp; what: string },
): Promise<{ running: RunningProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [join(ROOT, `dist/apps/${app}/src/main.js`)], {
    cwd: ROOT,
    // Rate limits off unless the test sets them (the suites send far more from one address than a client would).
    env: {
      ...process.env,
      NO_COLOR: '1',
      RATE_LIMIT_COMMANDS_PER_USER: '0',
      RATE_LIMIT_COMMANDS_PER_ADDRESS: '0',
      RATE_LIMIT_REQUESTS_PER_ADDRESS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const name = app === 'worker' ? 'Worker' : 'API';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.when.exec(output);
      if (!match) return;
      const stop = async () => {
        child.kill('SIGTERM');
        return exited;
      };
      resolve({ running: { process: child, output: () => output, exited, stop }, match });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`${name} exited with ${code} before ${ready.what}:\n${output}`)),
    );
  });
}

/**
 * Starts the built API (or the launcher, which runs the API and the worker as `npm start` does) with the given
 * environment; resolves once the API listens (or rejects with the output).
 */
export async function startApi(env: NodeJS.ProcessEnv, app: 'api' | 'launcher' = 'api'): Promise<RunningApi> {
  const { running, match } = await startBuilt(
    app,
    { HOST: '127.0.0.1', PORT: '0', ...env },
    { when: /Security info API on (http:\/\/\S+)/, what: 'listening' },
  );
  return { ...running, url: match[1].replace('[::1]', '127.0.0.1') };
}

/** Starts the built worker (`npm run start:worker`); resolves once it says it is running. */
export async function startWorker(env: NodeJS.ProcessEnv): Promise<RunningProcess> {
  return (await startBuilt('worker', env, { when: /Code dispatch worker running/, what: 'running' })).running;
}
