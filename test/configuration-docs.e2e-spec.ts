import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { SignetEnvironment } from '@signet/config';

/**
 * docs/configuration.md's table of environment variables against the configuration schema (`SignetEnvironment`
 * in @signet/config): every variable the schema knows has a row, every row names a variable the schema knows,
 * and every default shown in backticks is the schema's default (any other text: the schema has none).
 */
const DOC = join(__dirname, '..', 'docs', 'configuration.md');

interface Row {
  variable: string;
  /** The default cell, as written. */
  shown: string;
}

/** The rows of the first table whose header starts with "Variable". */
function configurationTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => /^\|\s*Variable\s*\|/.test(line));
  if (header < 0) throw new Error('No "| Variable |" table in docs/configuration.md');
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    // Cells are split on unescaped pipes (a cell may hold `a \| b`).
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[0]);
    if (!name) throw new Error(`A row names no single variable in backticks: ${line}`);
    rows.push({ variable: name[1], shown: cells[1] });
  }
  return rows;
}

/** Every variable the schema declares: validated properties, and properties with a default. */
function schemaVariables(): string[] {
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(SignetEnvironment, '', true, false)
    .map((metadata) => metadata.propertyName);
  return [...new Set([...validated, ...Object.keys(new SignetEnvironment())])].sort();
}

describe('docs/configuration.md', () => {
  const rows = configurationTable(readFileSync(DOC, 'utf8'));
  const documented = rows.map((row) => row.variable);
  const known = schemaVariables();

  it('reads a table and a schema worth comparing', () => {
    expect(known).toContain('PORT');
    expect(known).toContain('JWT_SECRET');
    expect(rows.length).toBeGreaterThan(10);
  });

  it('documents every variable of the configuration schema', () => {
    expect(known.filter((variable) => !documented.includes(variable))).toEqual([]);
  });

  it('documents no variable the schema does not know, and each once', () => {
    expect(documented.filter((variable) => !known.includes(variable))).toEqual([]);
    expect(documented.filter((variable, i) => documented.indexOf(variable) !== i)).toEqual([]);
  });

  it("shows each variable's default as the schema has it", () => {
    const defaults = new SignetEnvironment() as unknown as Record<string, unknown>;
    const differing = rows
      .map(({ variable, shown }) => {
        const code = /^`([^`]*)`$/.exec(shown);
        const schema = defaults[variable];
        const expected = schema === undefined ? '(none)' : String(schema);
        return { variable, shown, expected, documented: code ? code[1] : '(none)' };
      })
      .filter((row) => row.documented !== row.expected);
    expect(differing).toEqual([]);
  });
});
