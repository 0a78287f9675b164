/**
 * The rollout's worker settings in CDK: each one set for the baseline and, separately, for the
 * canary (`canary<Key>`), the thread-slot rule checked at synth naming the keys, and the team's
 * workflows folder in the image's build context.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SettingsError, readSettings } from '../lib/settings.js';
import { synthWarden, type SynthesizedWarden } from './support/synth.js';

type Env = { Name: string; Value: unknown }[];

let synth: SynthesizedWarden;
beforeAll(() => {
  synth = synthWarden({
    canary: true,
    workflowsDir: 'examples/workflows',
    executionsPerThread: '2',
    maxConcurrency: 6,
    canaryExecutionsPerThread: 4,
    canaryMaxConcurrency: '16',
    canaryThreadMaxHeapMb: 128,
    canaryPoolSemiSpaceMb: '4',
  });
}, 120_000);

/** Each worker service's container environment, by its `warden:rollout` tag. */
function envByRole(): Map<string, Record<string, unknown>> {
  const template = synth.runtimeTemplate.toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const result = new Map<string, Record<string, unknown>>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::ECS::Service') continue;
    const tags = resource.Properties.Tags as { Key: string; Value: string }[];
    const role = tags.find((tag) => tag.Key === 'warden:rollout')!.Value;
    const taskId = (resource.Properties.TaskDefinition as { Ref: string }).Ref;
    const [container] = template.Resources[taskId]!.Properties.ContainerDefinitions as {
      Environment: Env;
    }[];
    result.set(role, Object.fromEntries(container!.Environment.map((e) => [e.Name, e.Value])));
  }
  return result;
}

describe('per-service worker settings', () => {
  it('gives the canary and the baseline each their own settings', () => {
    const byRole = envByRole();
    expect(byRole.get('baseline')).toMatchObject({
      USE_THREAD_WORKERS: 'false',
      WORKER_EXECUTIONS_PER_THREAD: '2',
      WORKER_MAX_CONCURRENCY: '6',
    });
    expect(byRole.get('baseline')).not.toHaveProperty('WORKER_THREAD_MAX_HEAP_MB');
    expect(byRole.get('baseline')).not.toHaveProperty('WORKER_POOL_SEMI_SPACE_MB');
    expect(byRole.get('canary')).toMatchObject({
      USE_THREAD_WORKERS: 'true',
      WORKER_EXECUTIONS_PER_THREAD: '4',
      WORKER_MAX_CONCURRENCY: '16',
      WORKER_THREAD_MAX_HEAP_MB: '128',
      WORKER_POOL_SEMI_SPACE_MB: '4',
      // Not overridden: inherited from the plain key.
      WORKER_THREAD_POOL_SIZE: '4',
    });
  });

  it("bakes the team's workflows folder into the image, without its node_modules", () => {
    const assembly = synth.app.synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, `${synth.runtime.artifactId}.assets.json`), 'utf8'),
    ) as { dockerImages: Record<string, { source: { directory: string; dockerFile: string } }> };
    const [image] = Object.values(manifest.dockerImages);
    const context = join(assembly.directory, image!.source.directory);
    expect(image!.source.dockerFile).toBe('services/worker/Dockerfile');
    expect(existsSync(join(context, 'workflows/slug.mjs'))).toBe(true);
    expect(existsSync(join(context, 'workflows/package-lock.json'))).toBe(true);
    expect(existsSync(join(context, 'workflows/node_modules'))).toBe(false);
  });

  it('refuses more concurrency than thread slots, naming the keys that set it', () => {
    const read = (context: Record<string, unknown>) => () => readSettings((key) => context[key]);
    expect(
      read({
        canary: true,
        threadPoolSize: 2,
        canaryExecutionsPerThread: 2,
        canaryMaxConcurrency: 5,
      }),
    ).toThrow(
      'canaryMaxConcurrency=5 is more than threadPoolSize × canaryExecutionsPerThread = 2 × 2 = 4 for the canary service (thread workers): expected at most 4',
    );
    expect(read({ useThreadWorkers: true, maxConcurrency: 9, executionsPerThread: 2 })).toThrow(
      SettingsError,
    );
    // Process workers have no thread slots: any concurrency is theirs to choose.
    expect(read({ maxConcurrency: 9 })().baselineWorker.maxConcurrency).toBe(9);
    expect(read({ canaryExecutionsPerThread: 0 })).toThrow(
      'canaryExecutionsPerThread=0 is not valid: expected an integer from 1 to 64',
    );
    expect(read({ poolSemiSpaceMb: 65 })).toThrow(
      'poolSemiSpaceMb=65 is not valid: expected an integer from 1 to 64',
    );
  });

  it('refuses a workflows folder that does not exist, naming it', () => {
    expect(() => synthWarden({ workflowsDir: 'no/such/folder' })).toThrow(
      /workflowsDir "no\/such\/folder" is not a directory/,
    );
  });
});
