#!/usr/bin/env node
// The container test builds and runs the worker image with podman (runc as its runtime) on a
// stand-in base made with debootstrap. Find them, or install Debian's packages when this machine
// can (root + apt-get); otherwise stop with instructions instead of failing later.
import { execFileSync, spawnSync } from 'node:child_process';

const TOOLS = ['podman', 'runc', 'debootstrap'];
const onPath = (tool) => spawnSync('which', [tool], { stdio: 'ignore' }).status === 0;
const missing = TOOLS.filter((tool) => !onPath(tool));
if (!missing.length) process.exit(0);

const canInstall = process.getuid?.() === 0 && onPath('apt-get');
if (!canInstall) {
  console.error(
    `The container test needs ${missing.join(', ')}. Install them (Debian/Ubuntu, as root: ` +
      '`apt-get install -y podman runc debootstrap`), then run the tests again.',
  );
  process.exit(1);
}
console.log(`Installing ${missing.join(', ')} for the container test (apt-get)...`);
const quiet = {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
};
execFileSync('apt-get', ['update', '-qq'], quiet);
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...TOOLS], quiet);
const still = TOOLS.filter((tool) => !onPath(tool));
if (still.length) {
  console.error(`apt-get finished but ${still.join(', ')} is still missing.`);
  process.exit(1);
}
