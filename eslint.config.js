// @ts-check
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'bin/**', 'eslint.config.js', 'test-results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver': { typescript: { project: './tsconfig.json' } },
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Determinism: the deterministic core never reads the wall clock or unseeded randomness.
    files: ['actors/**/*.ts', 'state/**/*.ts', 'models/**/*.ts'],
    ignores: ['state/clocks/live-clock.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the injected Clock.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use the injected Clock.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use a seeded RNG.' },
        { selector: "CallExpression[callee.name='setTimeout']", message: 'Use the injected Clock.' },
        { selector: "CallExpression[callee.name='setInterval']", message: 'Use the injected Clock.' },
        { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'Use the injected Clock.' },
        { selector: "MemberExpression[object.name='process'][property.name='hrtime']", message: 'Use the injected Clock.' },
        { selector: "MemberExpression[object.name='crypto'][property.name=/^(randomUUID|randomBytes|getRandomValues|randomInt)$/]", message: 'Derive ids from the input, or use a seeded RNG.' },
      ],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'node:crypto', importNames: ['randomUUID', 'randomBytes', 'randomInt', 'getRandomValues', 'webcrypto'], message: 'Derive ids from the input, or use a seeded RNG.' }, { name: 'crypto', message: 'Import node:crypto (hashes only here).' }] },
      ],
    },
  },
);
