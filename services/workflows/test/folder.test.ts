import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkflowFolder } from '../src/folder.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'workflow-folder-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('a workflows folder', () => {
  it('loads modules that import the folder’s own installed dependency', async () => {
    const dir = folder({
      'package.json': JSON.stringify({ type: 'module', dependencies: { tiny: '1.0.0' } }),
      'package-lock.json': '{}',
      'node_modules/tiny/package.json': JSON.stringify({ name: 'tiny', main: 'index.js' }),
      'node_modules/tiny/index.js': 'module.exports = (s) => s.toUpperCase();\n',
      'shout.mjs':
        "import tiny from 'tiny';\nexport default { id: 'shout', timeoutSeconds: 5, run: (i) => tiny(i) };\n",
    });
    const loaded = await loadWorkflowFolder(dir);
    expect(loaded.problems).toEqual([]);
    expect(loaded.workflows.map((w) => [w.id, w.timeoutSeconds])).toEqual([['shout', 5]]);
  });

  it('reports every problem at once: bad export, duplicate id, bad timeout, missing dependency', async () => {
    const dir = folder({
      'package.json': JSON.stringify({ dependencies: { 'not-installed': '1.0.0' } }),
      'a.mjs': "export default { id: 'same', run() {} };\n",
      'b.mjs': "export default { id: 'same', run() {} };\n",
      'c.mjs': "export default { id: 'c', timeoutSeconds: 0, run() {} };\n",
      'd.mjs': 'export const named = 1;\n',
      'e.mjs': "import x from 'not-installed';\nexport default { id: 'e', run: () => x };\n",
    });
    const { problems } = await loadWorkflowFolder(dir);
    expect(problems).toEqual([
      'b.mjs: workflow id "same" is already defined by a.mjs',
      'c.mjs: timeoutSeconds 0 is not valid: expected a number above 0 and at most 43200',
      "d.mjs: the default export must be an object { id, name?, timeoutSeconds?, isolation?: 'thread', retry?, idempotent?, run(input, ctx) }",
      "e.mjs: a dependency does not resolve: not-installed (declare it in the folder's package.json and run npm ci there)",
      'package.json: declares dependencies but there is no package-lock.json beside it (the image installs them with npm ci, from the lock file; run npm install there and commit the lock file)',
      `package.json: dependency "not-installed" does not resolve from ${dir} (run npm ci there)`,
    ]);
  });

  it('names a folder that cannot be read', async () => {
    const { problems } = await loadWorkflowFolder('/nonexistent/warden-workflows');
    expect(problems).toEqual([expect.stringMatching(/^the directory cannot be read: /)]);
  });
});
