/**
 * Synthesizes the Warden app the way `cdk synth` does (cdk.json's context, plus overrides) for
 * assertion tests. Each test file synthesizes once per context and shares the result.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildWardenApp, type WardenStacks } from '../../lib/app.js';
import { HANDLERS, REPO_ROOT, type HandlerEntry, type HandlerName } from '../../lib/paths.js';

export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' };

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const FIXTURE_ADMIN_DIST = join(fixtures, 'admin-dist');

const STUB_HANDLERS = Object.fromEntries(
  Object.entries(HANDLERS).map(([name, entry]) => [
    name,
    { entry: join(fixtures, 'handlers.ts'), handler: entry.handler },
  ]),
) as Record<HandlerName, HandlerEntry>;

/** The context `cdk synth` would use: cdk.json's, then the overrides (like `-c key=value`). */
export function cdkJsonContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return { ...cdkJson.context, ...overrides };
}

export interface SynthesizedWarden extends WardenStacks {
  app: App;
  stateful: WardenStacks['stateful'];
  statefulTemplate: Template;
  runtimeTemplate: Template;
}

export function synthWarden(
  context: Record<string, unknown> = {},
  options: { adminDistDir?: string; realHandlers?: boolean } = {},
): SynthesizedWarden {
  const app = new App({
    context: cdkJsonContext(context),
    outdir: mkdtempSync(join(tmpdir(), 'warden-cdk-')),
    // The CloudFormation schema check takes many seconds; the synth test runs it.
    builtinCloudFormationValidation: false,
  });
  const stacks = buildWardenApp(app, {
    env: TEST_ENV,
    handlers: options.realHandlers ? undefined : STUB_HANDLERS,
    adminDistDir: options.adminDistDir ?? FIXTURE_ADMIN_DIST,
  });
  return {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    runtimeTemplate: Template.fromStack(stacks.runtime),
  };
}

/** Construct path (below the stack) of every logical id, to name resources readably. */
export function logicalIdPaths(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    const element = node as unknown as { logicalId?: string; cfnResourceType?: string };
    if (typeof element.logicalId !== 'string' || !('cfnResourceType' in element)) continue;
    const id = stack.resolve(element.logicalId) as string;
    paths.set(
      id,
      node.node.path
        .slice(stack.node.path.length + 1)
        .replace(/\/Resource$/, '')
        .replace(/\/Default$/, ''),
    );
  }
  return paths;
}

/** Renders CloudFormation intrinsics as readable text: `<Path>` for refs, `${AWS::X}` for pseudo params. */
export function render(value: unknown, paths: Map<string, string>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => render(v, paths)).join(',')}]`;
  if (value && typeof value === 'object') {
    const [key, arg] = Object.entries(value)[0] ?? [];
    if (key === 'Ref') {
      const ref = arg as string;
      return ref.startsWith('AWS::') ? `\${${ref}}` : `<${paths.get(ref) ?? ref}>`;
    }
    if (key === 'Fn::GetAtt') {
      const [id, attribute] = arg as [string, string];
      return `<${paths.get(id) ?? id}.${attribute}>`;
    }
    if (key === 'Fn::ImportValue') {
      // `warden-stateful:ExportsOutputRefAdminUsersUserPoolB4C4…` → `warden-stateful:AdminUsersUserPool`
      const name = render(arg, paths).replace(
        /:ExportsOutput(?:Ref|FnGetAtt)(\w+?)[0-9A-F]{8}(?:[0-9A-F]{8})?(\w*)$/,
        ':$1$2',
      );
      return `import(${name})`;
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((part) => render(part, paths)).join(separator);
    }
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${render(v, paths)}`)
      .join(', ')}}`;
  }
  return String(value);
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Everything a role may do, as sorted `action resource [condition]` lines: one per action and
 * resource of every Allow statement in every policy attached to the role.
 */
export function rolePermissions(stack: Stack, template: Template, rolePath: string): string[] {
  const paths = logicalIdPaths(stack);
  const roleId = [...paths].find(([, path]) => path === rolePath)?.[0];
  if (!roleId) throw new Error(`no role at ${rolePath}`);
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const role = resources[roleId]!;
  if (asArray(role.Properties.ManagedPolicyArns).length) {
    throw new Error(`${rolePath} has managed policies attached`);
  }
  const documents = [
    ...asArray(role.Properties.Policies as { PolicyDocument: unknown }[]).map(
      (p) => p.PolicyDocument,
    ),
    ...Object.values(resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          asArray(r.Properties.Roles as unknown[]).some(
            (ref) => (ref as { Ref?: string }).Ref === roleId,
          ),
      )
      .map((r) => r.Properties.PolicyDocument),
  ] as { Statement: Statement[] }[];
  const lines = new Set<string>();
  for (const document of documents) {
    for (const statement of document.Statement) {
      if (statement.Effect !== 'Allow') throw new Error(`unexpected ${statement.Effect}`);
      const condition = statement.Condition ? ` if ${render(statement.Condition, paths)}` : '';
      for (const action of asArray(statement.Action)) {
        for (const resource of asArray(statement.Resource)) {
          lines.add(`${action} ${render(resource, paths)}${condition}`);
        }
      }
    }
  }
  return [...lines].sort();
}
