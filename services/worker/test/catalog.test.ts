import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLES_DIR } from '@warden/workflows';
import { WorkflowLoadError, loadWorkflowCatalog } from '../src/catalog.js';

describe('workflow catalog', () => {
  it('loads the built-in samples as they are, with their names and timeouts', async () => {
    const catalog = await loadWorkflowCatalog(SAMPLES_DIR);
    expect(catalog.ids()).toEqual([
      'cpu-spin',
      'echo',
      'env-report',
      'fail',
      'flaky',
      'ignore-cancel',
      'memory-hog',
      'noop',
      'sdk-io',
      'sleep',
      'slow-healthy',
      'sync-block',
    ]);
    expect(catalog.info(300).find((w) => w.id === 'echo')).toEqual({
      id: 'echo',
      name: 'Echo',
      timeoutSeconds: 30,
    });
    // A retry policy is registered with the catalog, so the API and the app can show it.
    expect(catalog.info(300).find((w) => w.id === 'flaky')).toEqual({
      id: 'flaky',
      name: 'Flaky (retried)',
      timeoutSeconds: 30,
      retry: { attempts: 3, backoffSeconds: 1, backoffRate: 2 },
    });
  });

  it('gives workflows without a timeout the default one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    writeFileSync(join(dir, 'plain.js'), "export default { id: 'plain', run: () => 1 };\n");
    writeFileSync(join(dir, 'notes.txt'), 'ignored\n');
    const catalog = await loadWorkflowCatalog(dir);
    expect(catalog.info(300)).toEqual([{ id: 'plain', name: 'plain', timeoutSeconds: 300 }]);
  });

  it('reports every broken module at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    writeFileSync(join(dir, 'a.mjs'), "export default { id: 'x', run() {} };\n");
    writeFileSync(join(dir, 'b.mjs'), "export default { id: 'x', run() {} };\n");
    writeFileSync(join(dir, 'c.mjs'), "throw new Error('boom at import');\n");
    writeFileSync(
      join(dir, 'd.mjs'),
      "export default { id: 'd', timeoutSeconds: -1, run() {} };\n",
    );
    const error = await loadWorkflowCatalog(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowLoadError);
    expect((error as WorkflowLoadError).problems).toEqual([
      'b.mjs: workflow id "x" is already defined by a.mjs',
      'c.mjs: failed to load: Error: boom at import',
      'd.mjs: timeoutSeconds -1 is not valid: expected a number above 0 and at most 43200',
    ]);
  });

  it('refuses a directory that does not exist or holds no modules', async () => {
    await expect(loadWorkflowCatalog('/nonexistent/warden')).rejects.toThrow(/cannot be read/);
    await expect(loadWorkflowCatalog(mkdtempSync(join(tmpdir(), 'empty-')))).rejects.toThrow(
      'no workflow modules (.mjs, .js or .cjs files) found',
    );
  });
});
