// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Dependencies point one way: apps → libraries → the domain, and every adapter stands beside its port, never on
 * a sibling adapter. `no-restricted-imports` checks it, one set of patterns per folder (see `boundaries`).
 */

/** Test code: may use `testing` entry points and test doubles. The build leaves exactly these out. */
const TEST_CODE = ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.contract.ts', '**/testing/**'];

/** @typedef {{ regex: string, message: string }} Restriction */

/** @type {Record<string, Restriction>} */
const rules = {
  libraryFromApps: {
    regex: '^(?:\\.\\./)*apps/',
    message:
      'A library never imports from apps/: the apps are wired from libraries, not the other way round.',
  },
  libraryInternals: {
    regex: '^(?:\\.\\./)*libs/|^(?:\\.\\./)+(?:libs/)?[\\w-]+/src(?:/|$)',
    message:
      "Another library's files are reached through its entry points, `@signet/<lib>` or `@signet/<lib>/testing`, never by path.",
  },
  testingInProduction: {
    regex: '(?:^|/)testing(?:/|$)',
    message:
      'Production code never imports test code (`@signet/<lib>/testing`, a testing/ folder): the build leaves it out.',
  },
  domainOnFramework: {
    regex: '^@nestjs/',
    message: 'The domain has no framework imports: no @nestjs/*.',
  },
  domainOnLibraries: {
    regex: '^@signet/',
    message: 'The domain depends on no other Signet library: the libraries depend on it.',
  },
};

/** The domain's relative imports stay inside libs/domain/src: a file `depth` folders down may climb `depth - 1`. */
const leavingDomain = (/** @type {number} */ depth) => ({
  regex: `^(?:\\.\\./){${depth}}`,
  message: 'The domain imports nothing outside libs/domain: no relative path leaves it.',
});

/** An adapter never imports its sibling adapters (relative paths into their folders). */
const siblingAdapters = (/** @type {string[]} */ siblings) => ({
  regex: `^\\.\\.?/(?:.*/)?(?:${siblings.join('|')})(?:/|$)`,
  message: `An adapter never imports a sibling adapter (${siblings.join(', ')}): what they share lives beside the port.`,
});

const inLibraries = [rules.libraryFromApps, rules.libraryInternals];
const inDomain = [...inLibraries, rules.domainOnFramework, rules.domainOnLibraries];

/**
 * Folders and their restrictions. A file takes the last entry that matches it (a rule's options are not merged
 * across config objects), so each entry lists everything that applies to it, broader folders first. Each entry
 * holds for all code there; production code (not TEST_CODE) is also kept from test code, except in test/.
 * @type {{ files: string[], restrictions: Restriction[], testsOnly?: boolean }[]}
 */
const boundaries = [
  { files: ['test/**/*.ts'], restrictions: [rules.libraryInternals], testsOnly: true },
  { files: ['apps/**/*.ts', 'bench/**/*.ts'], restrictions: [rules.libraryInternals] },
  { files: ['libs/**/*.ts'], restrictions: inLibraries },
  { files: ['libs/domain/**/*.ts'], restrictions: inDomain },
  ...[1, 2, 3, 4].map((depth) => ({
    files: [`libs/domain/src/${'*/'.repeat(depth - 1)}*.ts`],
    restrictions: [...inDomain, leavingDomain(depth)],
  })),
  ...[
    ['event-store', 'esdb', 'sqlite'],
    ['read-model', 'mongo', 'sqlite'],
    ['idempotency', 'mongo', 'sqlite'],
    ['personal-data', 'mongo', 'sqlite'],
    ['messaging', 'providers/outbox', 'providers/http', 'providers/twilio'],
  ].flatMap(([library, ...adapters]) =>
    adapters.map((adapter) => ({
      files: [`libs/${library}/src/${adapter}/**/*.ts`],
      restrictions: [
        ...inLibraries,
        siblingAdapters(adapters.filter((other) => other !== adapter).map((other) => other.split('/').pop())),
      ],
    })),
  ),
];

/** @param {Restriction[]} patterns */
const restrictImports = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  // The few plain JavaScript files (jest set-up, a child-process hook) are outside the type-aware rules.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Unawaited promises lose errors and ordering: the two bugs an event store cannot afford.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...boundaries.flatMap(({ files, restrictions, testsOnly }) => [
    { files, rules: restrictImports(restrictions) },
    ...(testsOnly
      ? []
      : [
          { files, ignores: TEST_CODE, rules: restrictImports([...restrictions, rules.testingInProduction]) },
        ]),
  ]),
);
