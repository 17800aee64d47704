import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

const entries = new Map<string, string>();

/**
 * A thread's entry compiled from its TypeScript sources, once per process, for runs from the sources (the unit
 * tests under ts-jest, which compile in memory): a worker thread cannot load TypeScript itself, and compiling
 * in each thread would cost every store a compiler start. `sources` are the files the thread loads, the entry
 * first, as paths without `.ts` (relative imports between them keep working: their layout is kept).
 */
export function threadFromSources(sources: string[]): string {
  const known = entries.get(sources.join('\n'));
  if (known) return known;
  const dir = mkdtempSync(join(tmpdir(), 'signet-thread-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const root = commonDirectory(sources);
  const sqlite = JSON.stringify(require.resolve('better-sqlite3'));
  for (const source of sources) {
    const { outputText } = ts.transpileModule(readFileSync(`${source}.ts`, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    const target = join(dir, `${relative(root, source)}.js`);
    mkdirSync(dirname(target), { recursive: true });
    // From the temporary folder, node_modules is out of reach: point at the same better-sqlite3.
    writeFileSync(target, outputText.replace(/require\("better-sqlite3"\)/g, `require(${sqlite})`));
  }
  const entry = join(dir, `${relative(root, sources[0])}.js`);
  entries.set(sources.join('\n'), entry);
  return entry;
}

/** The event store's writer thread, from its sources. */
export function writerThreadFromSources(): string {
  const sqlite = join(__dirname, '..');
  return threadFromSources(
    ['event-log-writer.thread', 'event-log-writer', 'thread-channel'].map((name) => join(sqlite, name)),
  );
}

function commonDirectory(paths: string[]): string {
  let common = dirname(paths[0]);
  while (!paths.every((path) => !relative(common, path).startsWith('..'))) common = dirname(common);
  return common;
}
