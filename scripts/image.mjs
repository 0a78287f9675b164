#!/usr/bin/env node
/**
 * npm run image -- [--workflows <dir>] [--tag <tag>] [--base <image>]
 *
 * Builds the worker image with a workflows folder baked in (the samples without --workflows),
 * using docker or podman, whichever is on PATH and answers (WARDEN_CONTAINER_ENGINE picks one).
 * The context, Dockerfile and build arguments come from infra/lib/worker-image.ts, the same
 * definition `cdk deploy -c workflowsDir=<dir>` uses. --base replaces the Node 24 base image
 * (the Dockerfile's NODE_IMAGE). The build loads every workflow module first and stops on any
 * problem.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stageWorkerImage } from '../infra/dist/lib/worker-image.js';

const USAGE = 'usage: npm run image -- [--workflows <dir>] [--tag <tag>] [--base <image>]';

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      workflows: { type: 'string' },
      tag: { type: 'string', default: 'warden-worker:latest' },
      base: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  }));
} catch (error) {
  fail(`${error.message}\n${USAGE}`);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const answers = (engine) => spawnSync(engine, ['info'], { stdio: 'ignore' }).status === 0;
const onPath = (engine) => spawnSync(engine, ['--version'], { stdio: 'ignore' }).status === 0;

function pickEngine() {
  const chosen = process.env.WARDEN_CONTAINER_ENGINE;
  if (chosen) {
    if (!['docker', 'podman'].includes(chosen)) {
      fail(
        `WARDEN_CONTAINER_ENGINE=${JSON.stringify(chosen)} is not valid: expected docker or podman`,
      );
    }
    return chosen;
  }
  // A docker CLI without a running engine is common; fall through to podman then.
  const present = ['docker', 'podman'].filter(onPath);
  if (!present.length) fail('neither docker nor podman is on PATH: install one to build the image');
  return (
    present.find(answers) ??
    fail(
      `${present.join(' and ')} found, but no container engine answers ("${present[0]} info" fails)`,
    )
  );
}

const engine = pickEngine();
const context = mkdtempSync(join(tmpdir(), 'warden-image-'));
const started = Date.now();
try {
  let image;
  try {
    image = stageWorkerImage(context, { workflowsDir: options.workflows, nodeImage: options.base });
  } catch (error) {
    fail(error.message);
  }
  const args = [
    'build',
    '--file',
    join(image.directory, image.file),
    '--tag',
    options.tag,
    ...Object.entries(image.buildArgs).flatMap(([key, value]) => [
      '--build-arg',
      `${key}=${value}`,
    ]),
    image.directory,
  ];
  process.stdout.write(
    `Building ${options.tag} with ${engine}: workflows from ${image.workflowsDir}${options.base ? `, base ${options.base}` : ''}\n`,
  );
  const result = spawnSync(engine, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`${engine} build failed (exit ${result.status ?? result.signal})\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `Built ${options.tag} in ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
  }
} finally {
  rmSync(context, { recursive: true, force: true });
}
