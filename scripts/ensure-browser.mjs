#!/usr/bin/env node
// The browser end-to-end tests drive a real Chromium. Find one, or install Debian's package when
// this machine can (root + apt-get); otherwise stop with instructions instead of failing later.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];
const found = candidates.find((path) => path && existsSync(path));
if (found) process.exit(0);

const canInstall = process.getuid?.() === 0 && spawnSync('which', ['apt-get']).status === 0;
if (!canInstall) {
  console.error(
    'The browser tests need Chromium. Install it (Debian/Ubuntu: `sudo apt-get install -y chromium`) ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome binary, then run the tests again.',
  );
  process.exit(1);
}
console.log('Installing Chromium for the browser tests (apt-get install chromium)...');
const quiet = {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
};
execFileSync('apt-get', ['update', '-qq'], quiet);
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], quiet);
if (!existsSync('/usr/bin/chromium')) {
  console.error('apt-get finished but /usr/bin/chromium is missing; set CHROMIUM_PATH.');
  process.exit(1);
}
