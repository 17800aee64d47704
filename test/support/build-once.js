// Jest globalSetup of the e2e project: builds the apps once, before any test file runs, and only when the sources
// changed since the last build (scripts/build-if-stale.js, the same check `npm start` and `npm run cli` use).
// Test files that start the built API, worker or CLI must not build themselves: several building into dist/ at
// once would let one test start a process from files another build is rewriting.
const { buildIfStale } = require('../../scripts/build-if-stale');

module.exports = async function buildOnce() {
  buildIfStale();
};
