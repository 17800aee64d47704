/*
 * Require hook for child processes forked by tests: compiles .ts files on the fly with the project's
 * tsconfig (typescript.transpileModule, no type checking) and maps `@signet/<lib>` to `libs/<lib>/src`,
 * as jest's moduleNameMapper does. Plain JavaScript because it runs before anything can compile TypeScript.
 * Usage: fork(file.ts, args, { execArgv: ['--require', require.resolve('./register-ts.js')] })
 */
/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const root = path.resolve(__dirname, '../../../../..');
const tsconfig = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
if (tsconfig.error) throw new Error(ts.flattenDiagnosticMessageText(tsconfig.error.messageText, '\n'));
const compilerOptions = {
  ...ts.convertCompilerOptionsFromJson(tsconfig.config.compilerOptions, root).options,
  module: ts.ModuleKind.CommonJS,
  sourceMap: false,
  inlineSourceMap: true,
  incremental: false,
};

const alias = /^@signet\/([^/]+)(\/.*)?$/;
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = alias.exec(request);
  const target = match ? path.join(root, 'libs', match[1], 'src', match[2] || '') : request;
  return resolveFilename.call(this, target, ...rest);
};

Module._extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { fileName: filename, compilerOptions });
  module._compile(outputText, filename);
};
