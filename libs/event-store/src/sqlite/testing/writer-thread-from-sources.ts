import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';

let entry: string | undefined;

/**
 * The writer thread's entry compiled from its TypeScript sources, once per process, for runs from the sources
 * (the unit tests under ts-jest, which compile in memory): a worker thread cannot load TypeScript itself, and
 * compiling in each thread would cost every store a compiler start.
 */
export function writerThreadFromSources(): string {
  if (entry) return entry;
  const dir = mkdtempSync(join(tmpdir(), 'signet-writer-thread-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const sqlite = JSON.stringify(require.resolve('better-sqlite3'));
  for (const name of ['event-log-writer', 'event-log-writer.thread']) {
    const { outputText } = ts.transpileModule(readFileSync(join(__dirname, '..', `${name}.ts`), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    // From the temporary folder, node_modules is out of reach: point at the same better-sqlite3.
    writeFileSync(
      join(dir, `${name}.js`),
      outputText.replace(/require\("better-sqlite3"\)/g, `require(${sqlite})`),
    );
  }
  return (entry = join(dir, 'event-log-writer.thread.js'));
}
