// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'backups/'] },
  js.configs.recommended,
  // Type-aware: the rules see the types (a floating promise, a promise where a callback
  // expects void, a value of type any flowing into typed code).
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // An async handler on a JSX attribute is how preact screens submit; its promise is awaited inside.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // Callback APIs (express-session, AbortSignal.reason) hand over errors typed any: passed on unchanged.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Component props declare callbacks in method form (`onOpen(row): void`) and are destructured;
    // preact never binds `this`, and no client callback uses it.
    files: ['client/**'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Plain JavaScript (build scripts, this file) is outside the TypeScript project.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['server/cli/**', 'bench/**', 'test/**', 'server/main.ts', 'server/serve.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Values of type `any` are followed everywhere in server/: the repository gives knex's
    // builder results their row type at one place each, and raw statements go through
    // rows<T>() (server/db/repository/common.ts). Elsewhere they stay off, with reasons:
    // tests and benchmarks read response bodies (supertest's `body: any`) and raw rows and
    // check them with expect(): typing each would add casts, not safety; migrations and seeds
    // are applied history (never edited once applied) whose builder calls return knex's `any`.
    // The promise rules and the rest of the type-aware set apply everywhere.
    files: ['migrations/**', 'seeds/**', 'test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Would only move the repository's `as Row[]` casts into type arguments.
    files: ['server/**', 'migrations/**', 'seeds/**', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },
  {
    // Async callbacks that satisfy an async interface without awaiting.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
);
