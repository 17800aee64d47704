import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Production code never depends on the test helpers: the production build leaves `libs/testing` out. */
describe('@signet/testing stays out of production code', () => {
  const root = join(__dirname, '..', '..', '..');
  const isTestOnly = (path: string) =>
    /\.(spec|contract|e2e-spec)\.ts$/.test(path) || /(^|\/)testing(\/|$)/.test(path);

  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    });

  it('is imported by no production file under apps/, libs/ or bench/', () => {
    const offenders = ['apps', 'libs', 'bench']
      .flatMap((dir) => sources(join(root, dir)))
      .map((path) => relative(root, path))
      .filter((path) => !isTestOnly(path))
      .filter((path) =>
        /from '@signet\/testing'|require\('@signet\/testing'\)/.test(readFileSync(join(root, path), 'utf8')),
      );
    expect(offenders).toEqual([]);
  });
});
