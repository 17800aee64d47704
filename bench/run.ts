import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { machine, printTable, writeResults, type Figure } from './report';

/**
 * `npm run bench [-- part ...]`: runs each part in its own process (so each part's peak memory is its own),
 * prints one table with every figure beside the ceiling measured in the same run, and writes it as JSON under
 * bench/results/.
 */
const PARTS: Record<string, string> = {
  appends: 'event-store-appends',
  http: 'http-commands',
  lag: 'projection-lag',
  rebuild: 'rebuild',
  dispatch: 'dispatch',
  audit: 'audit',
  start: 'start',
};

function runPart(file: string): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'parts', `${file}.js`)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith('BENCH-FIGURES '));
      if (code !== 0 || !line)
        return reject(new Error(`bench part ${file} failed (exit ${code}):\n${output}`));
      resolve(JSON.parse(line.slice('BENCH-FIGURES '.length)) as Figure[]);
    });
  });
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((p) => !PARTS[p]);
  if (unknown.length) {
    process.stderr.write(
      `Unknown bench part(s): ${unknown.join(', ')}. Parts: ${Object.keys(PARTS).join(', ')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const parts = asked.length ? asked : Object.keys(PARTS);
  const figures: Figure[] = [];
  for (const part of parts) {
    process.stderr.write(`bench: ${part}...\n`);
    figures.push(...(await runPart(PARTS[part])));
  }
  process.stdout.write(`\nSignet benchmarks — ${new Date().toISOString().slice(0, 10)} — ${machine()}\n\n`);
  process.stdout.write(`${printTable(figures)}\n\n`);
  process.stdout.write(
    `written to ${writeResults(figures, parts, parts.length === Object.keys(PARTS).length)}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
