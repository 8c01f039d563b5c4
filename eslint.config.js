// ESLint flat config: typescript-eslint's recommended type-checked rules for every source file, and
// the import rules that keep the layers one way (ARCHITECTURE.md, "Layers").
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The floors of server/, lowest first: a folder imports only folders below it (and its own files).
 * The shared floor (server/http and the files at server/'s root) imports no capability folder.
 * server/assembly, server/app.ts and server/main.ts, on top, assemble everything.
 */
const SHARED = ['server/http', 'server/log.ts', 'server/secrets.ts', 'server/keys.ts', 'server/pepper-retirement.ts', 'server/store.ts'];
const CAPABILITIES = [
  'limits', 'cache', 'agents', 'mail', 'accounts', 'teams', 'grants', 'api-keys', 'clients', 'webhooks', 'guard', 'interactions', 'oidc', 'leaks',
  'authority', 'management', 'partner-api', 'portal', 'docs', 'metrics',
].map((name) => `server/${name}`);
const TOP = ['server/assembly', 'server/app.ts', 'server/main.ts'];

const path = (p) => `./${p}`;
const floorZones = [
  { target: SHARED.map(path), from: [...CAPABILITIES, ...TOP].map(path), message: 'the shared floor (server/http, server/*.ts) imports no capability folder' },
  ...CAPABILITIES.map((folder, i) => ({
    target: path(folder),
    from: [...CAPABILITIES.slice(i + 1), ...TOP].map(path),
    message: `${folder} sits below these folders in the floors of server/ (eslint.config.js, ARCHITECTURE.md)`,
  })),
];

/** Each folder of packages/ stands alone: it imports nothing of the repository outside itself. */
const PACKAGES = readdirSync(`${import.meta.dirname}/packages`, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

const layerZones = [
  ...PACKAGES.map((name) => ({
    target: `./packages/${name}`, from: '.', except: [`./packages/${name}`, './node_modules'],
    message: `packages/${name} stands alone: it imports nothing outside its folder`,
  })),
  { target: ['./adapters', './config'], from: './server', message: 'adapters/ and config/ never import server/' },
  { target: './config', from: ['./adapters', './cli', './bench', './scripts', './examples'], message: 'config/ is data: it imports only config/ and packages/' },
  { target: ['./server', './adapters', './config', './packages', './cli', './scripts', './examples', './bench'], from: './test', message: 'nothing imports test/' },
  { target: ['./server', './adapters', './config', './packages', './cli', './scripts', './examples', './test'], from: './bench', message: 'nothing imports bench/' },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'static/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    // The import rules read every imported file with the TypeScript parser.
    settings: { 'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] }, 'import-x/extensions': ['.ts', '.js'] },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      'no-console': 'error',
      // oidc-provider's hooks are async by contract even when ours need not wait.
      '@typescript-eslint/require-await': 'off',
      eqeqeq: 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: [...layerZones, ...floorZones] }],
    },
  },
  {
    // No import cycles between files; with the floors above, none between folders either.
    files: ['server/**/*.ts', 'adapters/**/*.ts', 'config/**/*.ts', 'packages/**/*.ts'],
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // chai's expect(...).to.be.true style reads as an unused expression.
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
