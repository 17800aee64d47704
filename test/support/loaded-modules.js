// Preloaded into a built process by a test (NODE_OPTIONS=--require): on exit, writes the files it loaded to
// LOADED_MODULES_FILE, so a test can see which packages a configuration pulls in.
const { writeFileSync } = require('node:fs');

process.on('exit', () =>
  writeFileSync(process.env.LOADED_MODULES_FILE, Object.keys(require.cache).join('\n')),
);
