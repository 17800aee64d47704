// The Security info page's build (Vite root: apps/web; output: dist/web, served by the API under /my-account/).
// `npm run build` runs it after the TypeScript build; the page's types come from the OpenAPI document through
// @signet/api-client, so a changed API fails `tsc -p apps/web` first.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Always the production build, even under jest (NODE_ENV=test would bring in Preact's debugging aids).
process.env.NODE_ENV = 'production';

/** The page's JavaScript, gzipped, may weigh at most this (the budget). */
const JS_BUDGET_BYTES = 150 * 1024;

/** Reports the gzipped size of the page's JavaScript and fails the build above the budget. */
function javascriptBudget() {
  return {
    name: 'signet-javascript-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let total = 0;
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk') total += gzipSync(file.code, { level: 9 }).length;
      }
      const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
      const line = `Security info page: ${kb(total)} of JavaScript gzipped (budget ${kb(JS_BUDGET_BYTES)})`;
      if (total > JS_BUDGET_BYTES) this.error(`${line}: over budget`);
      process.stderr.write(`${line}\n`);
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/my-account/',
  plugins: [preact(), javascriptBudget()],
  resolve: {
    alias: { '@signet/api-client': fileURLToPath(new URL('../../libs/api-client/src', import.meta.url)) },
  },
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or styles: the page's Content-Security-Policy allows neither.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  logLevel: 'warn',
});
