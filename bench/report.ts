import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One line of the benchmark table: a figure, the ceiling it is measured against in the same run, the ratio. */
export interface Figure {
  part: string;
  figure: string;
  value: number;
  unit: string;
  ceiling?: { label: string; value: number };
  /** The target, as the issue states it, e.g. "≥ 0.8×" or "< 20 ms". */
  target: string;
  /** Whether the target is met; undefined when it cannot be judged from this run. */
  met?: boolean;
  /** Peak resident memory of the process measured, MB. */
  peakRssMb?: number;
  note?: string;
}

export function ratio(figure: Figure): number | undefined {
  return figure.ceiling ? figure.value / figure.ceiling.value : undefined;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2));

export function printTable(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const r = ratio(f);
    return [
      f.part,
      f.figure,
      `${fmt(f.value)} ${f.unit}`,
      f.ceiling ? `${fmt(f.ceiling.value)} ${f.unit} (${f.ceiling.label})` : '—',
      r === undefined ? '—' : `${r.toFixed(2)}×`,
      f.target,
      f.met === undefined ? '?' : f.met ? 'met' : 'MISSED',
      f.peakRssMb === undefined ? '—' : `${Math.round(f.peakRssMb)} MB`,
    ];
  });
  const header = ['part', 'figure', 'value', 'ceiling (same run)', 'ratio', 'target', '', 'peak RSS'];
  const lines = [header, ...rows].map((r) => `| ${r.join(' | ')} |`);
  lines.splice(1, 0, `|${header.map(() => '---').join('|')}|`);
  return lines.join('\n');
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
}

export function writeResults(figures: Figure[], parts: string[], complete: boolean): string {
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  const file = join(dir, `${at.replace(/[:.]/g, '-')}-${parts.join('+')}.json`);
  const json = JSON.stringify(
    { at, machine: machine(), parts, figures: figures.map((f) => ({ ...f, ratio: ratio(f) })) },
    null,
    2,
  );
  writeFileSync(file, json);
  // latest.json is the run docs/benchmarks.md's table comes from, and the one committed: a run of every part only.
  if (complete) writeFileSync(join(dir, 'latest.json'), json);
  return file;
}
