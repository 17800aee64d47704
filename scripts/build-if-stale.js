#!/usr/bin/env node
// Runs `npm run build` only when dist/ is older than the sources, so `npm run token`, `npm run cli`, `npm start`
// and the e2e globalSetup start at once when nothing changed.
//
// It builds the apps (`npm run build`) and the Security info page (`npm run build:web`: apps/web into dist/web).
// Stale means: no stamp (dist/.build-stamp), or a file or directory under apps/, libs/ or bench/ (or one of the
// files the build reads: the tsconfigs, nest-cli.json, package.json, package-lock.json) modified after the
// stamp. Directories count too, so a deleted or renamed source makes the build stale. The stamp is written
// after a successful build with the time the build *started*, so a file saved during a build is seen next time.
// One build at a time: concurrent callers wait on a lock file (dist/.build-lock) and then look again.
//
// The build's output goes to stderr: `npm run --silent token` prints nothing but the token on stdout.
const { spawnSync } = require('node:child_process');
const {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
const LOCK = join(DIST, '.build-lock');
const SOURCE_DIRS = ['apps', 'libs', 'bench'];
const SOURCE_FILES = [
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
  'package.json',
  'package-lock.json',
];
/** Under the source folders but not read by the build. */
const IGNORED = new Set([join(ROOT, 'bench', 'results')]);

/** The newest modification time (ms) of the build's inputs. */
function newestSourceMtime() {
  let newest = 0;
  const visit = (path) => {
    if (IGNORED.has(path)) return;
    let stats;
    try {
      stats = statSync(path);
    } catch {
      return; // gone meanwhile, or an optional file
    }
    newest = Math.max(newest, stats.mtimeMs);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const dir of SOURCE_DIRS) visit(join(ROOT, dir));
  for (const file of SOURCE_FILES) visit(join(ROOT, file));
  return newest;
}

function stampMtime() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return -1;
  }
}

function isStale() {
  return newestSourceMtime() > stampMtime();
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Takes the build lock, waiting for a live holder; a dead holder's lock is taken over. */
function lock() {
  mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(LOCK, 'utf8'));
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      try {
        unlinkSync(LOCK);
      } catch {
        // another waiter removed it first
      }
      continue;
    }
    sleep(100);
  }
}

function unlock() {
  try {
    unlinkSync(LOCK);
  } catch {
    // already gone
  }
}

/** Builds when stale; returns true when it built. Throws when the build fails. */
function buildIfStale({ force = false } = {}) {
  if (!force && !isStale()) return false;
  lock();
  try {
    // Another caller may have built while this one waited for the lock.
    if (!force && !isStale()) return false;
    const startedAt = new Date();
    process.stderr.write('Building (sources changed since the last build)...\n');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // tsc prints its errors on stdout: send everything to stderr.
    // The apps, then the Security info page (apps/web, Vite) that the API serves from dist/web.
    for (const script of ['build', 'build:web']) {
      const result = spawnSync(npm, ['run', '-s', script], { cwd: ROOT, stdio: ['ignore', 2, 2] });
      if (result.error) throw result.error;
      if (result.status !== 0)
        throw new Error(`npm run ${script} failed (exit ${result.status ?? result.signal})`);
    }
    closeSync(openSync(STAMP, 'w'));
    utimesSync(STAMP, startedAt, startedAt);
    return true;
  } finally {
    unlock();
  }
}

module.exports = { buildIfStale, isStale };

if (require.main === module) {
  try {
    buildIfStale({ force: process.argv.includes('--force') });
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
