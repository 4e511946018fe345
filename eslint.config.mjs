// ESLint (flat config) for the TypeScript sources, tests, benches, examples and the Node scripts.
// Type-aware where a rule needs types to catch bugs (unhandled promises, misused promises);
// style rules are left to the code as written (TF.js style), except type-only imports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The Node globals the .js scripts use (no-undef is off for TypeScript, which checks names). */
const NODE_GLOBALS = Object.fromEntries([
  'require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer',
  'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'URL',
  'TextEncoder', 'TextDecoder', 'globalThis', 'structuredClone', 'fetch', 'performance',
].map((name) => [name, 'readonly']));

export default tseslint.config(
  // types/: the script bundles' global declarations, checked by the packed-package tests.
  // src/kernels/wasm/assembly: AssemblyScript, compiled by scripts/build-wasm.js, not tsc.
  {ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-output/**', 'coverage/**', 'types/**',
             'src/kernels/wasm/assembly/**']},
  // Directives written for rules this config leaves off (no-explicit-any) are not errors.
  {linterOptions: {reportUnusedDisableDirectives: 'off'}},
  js.configs.recommended,
  {
    rules: {
      // `let [a, b] = ...` where only some are reassigned stays one declaration.
      'prefer-const': ['error', {destructuring: 'all'}],
      // The tsconfig lib is ES2020, whose Error constructor takes no `{cause}`.
      'preserve-caught-error': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        // One program per tsconfig: src/bench/examples/karma specs, jest tests, the WebGPU suite,
        // and the files only a runner's config names (jest's setup file).
        project: ['./tsconfig.json', './tsconfig.jest.json', './test/webgpu/tsconfig.json',
                  './tsconfig.eslint.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Bugs: a promise nobody awaits hides its rejection; an async callback where a sync one is
      // expected (forEach, event handlers) runs unawaited.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', {checksVoidReturn: {arguments: false}}],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none',
        ignoreRestSiblings: true,
      }],
      '@typescript-eslint/consistent-type-imports': ['error', {
        prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false,
      }],
      // Kernels pass tfjs's untyped attrs and backends around; an `any` there is deliberate.
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests and benches require() built files and optional runtimes on purpose.
      '@typescript-eslint/no-require-imports': 'off',
      // `declare module` augmentation of tfjs-core's Tensor and `declare global` need namespaces.
      '@typescript-eslint/no-namespace': ['error', {allowDeclarations: true}],
      // `x!` after a check TypeScript cannot follow (Map.get after has) is the TF.js idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: NODE_GLOBALS,
    },
    rules: {
      'no-unused-vars': ['error', {argsIgnorePattern: '^_', caughtErrors: 'none'}],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: {sourceType: 'module'},
  },
);
