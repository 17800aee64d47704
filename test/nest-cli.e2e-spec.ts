import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * nest-cli.json tells the truth about the monorepo: one project per folder under apps/ (an application with
 * src/main.ts) and libs/ (a library with src/index.ts, imported as @signet/<name>), none that does not exist, and
 * the same TypeScript configuration `npm run build` compiles.
 */
const ROOT = join(__dirname, '..');

interface NestProject {
  type: string;
  root: string;
  sourceRoot: string;
  entryFile: string;
}

const nestCli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
  monorepo: boolean;
  root: string;
  sourceRoot: string;
  compilerOptions: { builder: string; tsConfigPath: string };
  projects: Record<string, NestProject>;
};
const folders = (dir: string) =>
  readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

describe('nest-cli.json', () => {
  const projects = nestCli.projects;
  const apps = folders('apps');
  const libs = folders('libs');

  it('names exactly the apps and libraries that exist', () => {
    expect(apps.length).toBeGreaterThan(0);
    expect(libs.length).toBeGreaterThan(0);
    expect(Object.keys(projects).sort()).toEqual([...apps, ...libs].sort());
  });

  it.each(folders('apps'))('describes the application %s', (app) => {
    expect(projects[app]).toEqual({
      type: 'application',
      root: `apps/${app}`,
      sourceRoot: `apps/${app}/src`,
      entryFile: 'main',
    });
    expect(existsSync(join(ROOT, `apps/${app}/src/main.ts`))).toBe(true);
  });

  it.each(folders('libs'))('describes the library %s', (lib) => {
    expect(projects[lib]).toEqual({
      type: 'library',
      root: `libs/${lib}`,
      sourceRoot: `libs/${lib}/src`,
      entryFile: 'index',
    });
    expect(existsSync(join(ROOT, `libs/${lib}/src/index.ts`))).toBe(true);
  });

  it('is a monorepo whose default project is an application', () => {
    expect(nestCli.monorepo).toBe(true);
    const main = Object.values(projects).find((p) => p.root === nestCli.root);
    expect(main).toMatchObject({ type: 'application', sourceRoot: nestCli.sourceRoot });
  });

  it('builds with tsc on the configuration npm run build compiles', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(nestCli.compilerOptions.builder).toBe('tsc');
    expect(pkg.scripts.build).toBe(
      `tsc -p ${nestCli.compilerOptions.tsConfigPath} && tsc-alias -p ${nestCli.compilerOptions.tsConfigPath}`,
    );
  });
});
