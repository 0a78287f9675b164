/**
 * `npx cdk synth` exactly as a platform engineer (or CI) runs it from a clone: the CDK CLI, the
 * app command in cdk.json (compile, then run), the real Lambda handlers bundled with the local
 * esbuild, the worker image's build context staged, cdk-nag and CloudFormation's schema checks —
 * offline: no AWS credentials, no Docker, nothing fetched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDLERS, REPO_ROOT } from '../lib/paths.js';

const outdir = mkdtempSync(join(tmpdir(), 'warden-cdk-synth-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

// Keep the CLI from reaching out: no instance-metadata credential probe, no version check, no
// notices, no telemetry.
const OFFLINE_ENV = {
  ...process.env,
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: '1',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: '',
};

describe('npx cdk synth', () => {
  it('synthesizes both stacks offline, with the real handlers, and no cdk-nag finding', () => {
    const started = Date.now();
    const result = spawnSync(
      'npx',
      ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir, '-c', 'canary=true'],
      { cwd: REPO_ROOT, env: OFFLINE_ENV, encoding: 'utf8', timeout: 290_000 },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`npx cdk synth (canary, real handlers) took ${seconds} s`);
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr).not.toMatch(/AwsSolutions-/);

    for (const stack of ['warden-stateful', 'warden-runtime']) {
      expect(existsSync(join(outdir, `${stack}.template.json`)), stack).toBe(true);
    }

    // Every Lambda asset is a real ESM bundle exporting the handler CDK points at.
    const template = JSON.parse(
      readFileSync(join(outdir, 'warden-runtime.template.json'), 'utf8'),
    ) as {
      Resources: Record<
        string,
        { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
      >;
    };
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs24.x',
    );
    expect(functions).toHaveLength(Object.keys(HANDLERS).length);
    for (const fn of functions) {
      const assetDir = join(outdir, fn.Metadata!['aws:asset:path']!);
      const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
      const exported = String(fn.Properties.Handler).replace(/^index\./, '');
      expect(bundle.length).toBeGreaterThan(10_000);
      expect(bundle).toMatch(new RegExp(`as ${exported}[,}]`));
    }
  }, 300_000);
});
