import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/** Builds the apps as `npm start` does (incremental, so cheap when nothing changed). */
export async function build(): Promise<void> {
  await run('npm', ['run', '-s', 'build'], { cwd: ROOT });
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

/** Starts the built API with the given environment; resolves once it listens (or rejects with its output). */
export function startApi(env: NodeJS.ProcessEnv): Promise<RunningApi> {
  const child = spawn('node', [join(ROOT, 'dist/apps/api/src/main.js')], {
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
