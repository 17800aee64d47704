// Lints source texts as if they were files of this repository, under its eslint.config.mjs: reads
// [{ filePath, code }] as JSON on stdin, writes [{ filePath, messages: [{ ruleId, message }] }] on stdout.
// A process of its own because jest runs CommonJS and cannot load the ES module config ESLint imports.
// The paths need not exist: type-aware parsing (which wants files the TypeScript project holds) is turned off
// for them; the import-direction rules use no types.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const cwd = fileURLToPath(new URL('../..', import.meta.url));
const texts = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd, overrideConfig: tseslint.configs.disableTypeChecked });
const results = [];
for (const { filePath, code } of texts) {
  const [result] = await eslint.lintText(code, { filePath, warnIgnored: true });
  results.push({ filePath, messages: result.messages.map(({ ruleId, message }) => ({ ruleId, message })) });
}
process.stdout.write(JSON.stringify(results));
