/**
 * `warden workflows check <dir>` as a platform team runs it before building an image: the real
 * CLI in its own process, on real folders.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnNode } from '../support/processes.js';

const CLI = 'services/client/bin/warden.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'team-workflows-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function check(dir: string) {
  const run = spawnNode(CLI, { WARDEN_API_URL: undefined, WARDEN_ADMIN_TOKEN: undefined }, [
    'workflows',
    'check',
    dir,
  ]);
  return { code: await run.exited, output: run.output() };
}

describe('warden workflows check', () => {
  it('lists the workflows of a folder whose modules and dependencies load', async () => {
    const dir = folder({
      'package.json': JSON.stringify({ dependencies: { 'title-case': '1.0.0' } }),
      'package-lock.json': '{}',
      'node_modules/title-case/package.json': JSON.stringify({ name: 'title-case' }),
      'node_modules/title-case/index.js': 'module.exports = (s) => s.toUpperCase();\n',
      'title.mjs':
        "import up from 'title-case';\nexport default { id: 'title', timeoutSeconds: 5, run: (i) => up(i) };\n",
      'plain.mjs': "export default { id: 'plain', run: () => 1 };\n",
    });
    const { code, output } = await check(dir);
    expect(code).toBe(0);
    expect(output).toBe(`${dir}: 2 workflows load: plain, title (5 s)\n`);
  });

  it('reports every problem and exits 1', async () => {
    const dir = folder({
      'a.mjs': "export default { id: 'dup', run() {} };\n",
      'b.mjs': "export default { id: 'dup', run() {} };\n",
      'c.mjs': "export default { id: 'c', timeoutSeconds: 'soon', run() {} };\n",
      'd.mjs': 'export default function run() {}\n',
      'e.mjs': "import 'not-installed-anywhere';\nexport default { id: 'e', run() {} };\n",
    });
    const { code, output } = await check(dir);
    expect(code).toBe(1);
    expect(output).toContain(`${dir} cannot be used as WORKFLOWS_DIR:`);
    expect(output).toContain('b.mjs: workflow id "dup" is already defined by a.mjs');
    expect(output).toContain('c.mjs: timeoutSeconds "soon" is not valid');
    expect(output).toContain('d.mjs: the default export must be an object');
    expect(output).toContain('e.mjs: a dependency does not resolve: not-installed-anywhere');
  });

  it('refuses a folder that does not exist', async () => {
    const { code, output } = await check('/nonexistent/team-workflows');
    expect(code).toBe(1);
    expect(output).toMatch(/the directory cannot be read/);
  });
});
