import type { Figure } from '../report';

/** A part prints its figures as the last line of its output, for the runner to collect. */
export function emit(figures: Figure[]): void {
  process.stdout.write(`\nBENCH-FIGURES ${JSON.stringify(figures)}\n`);
}
