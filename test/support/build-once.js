// Jest globalSetup of the e2e project: builds the apps once, before any test file runs. Test files that start
// the built API, worker or CLI must not build themselves: several building into dist/ at once would let one
// test start a process from files another build is rewriting.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function buildOnce() {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: join(__dirname, '..', '..'), stdio: 'inherit' });
};
