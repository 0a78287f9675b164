import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/** Warden packages a package may not import, with the rule that says why. */
function packageRules() {
  const forbid = (packages, message) =>
    packages.flatMap((name) => [
      { group: [name, `${name}/*`], message },
      // Relative reaches into another package's sources break the same rule.
      { group: [`**/${name.replace('@warden/', '')}/src/**`], message },
    ]);
  const restrict = (files, patterns) => ({
    files,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  });
  const all = [
    '@warden/core',
    '@warden/workflows',
    '@warden/worker',
    '@warden/functions',
    '@warden/client',
    '@warden/local',
    '@warden/infra',
  ];
  const except = (...allowed) => all.filter((name) => !allowed.includes(name));
  return [
    restrict(['services/core/**'], forbid(except(), 'services/core imports nothing of Warden')),
    restrict(
      ['services/workflows/**'],
      forbid(except('@warden/core'), 'services/workflows may import only core'),
    ),
    restrict(
      ['services/worker/**'],
      forbid(
        except('@warden/core', '@warden/workflows'),
        'the worker imports only core and workflows; worker and functions never import each other',
      ),
    ),
    restrict(
      ['services/functions/**'],
      forbid(
        except('@warden/core'),
        'functions import only core; worker and functions never import each other',
      ),
    ),
    restrict(
      ['services/client/**'],
      forbid(
        except('@warden/core', '@warden/workflows'),
        'the client imports only core, and workflows for the folder check',
      ),
    ),
    restrict(['infra/**'], forbid(except('@warden/core'), 'infra imports only core')),
    restrict(
      ['admin-ui/**'],
      [
        {
          group: ['@warden/core', '@warden/core/*'],
          allowTypeImports: true,
          message: 'the admin app imports only types from core; it talks to the API at run time',
        },
        ...forbid(except('@warden/core'), 'the admin app imports only types from core'),
      ],
    ),
  ];
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'cdk.out/**',
      '.warden/**',
      'coverage/**',
      'admin-ui/public/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['admin-ui/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The package rules of docs/architecture.md ("May import"), one block per package.
  ...packageRules(),
  {
    // Sample workflows deliberately loop forever or block; that is what they test.
    files: ['services/workflows/**'],
    rules: { 'no-constant-condition': 'off', 'no-empty': 'off' },
  },
  prettier,
);
