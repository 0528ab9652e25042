// @ts-check
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PAGES_DIR = 'src/pages';

/**
 * Route folders: every folder under src/pages that holds source files (pages/home, pages/admin/users, ...).
 * @param {string} dir
 * @returns {string[]}
 */
function pageFolders(dir = PAGES_DIR) {
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = entries.some((e) => e.isFile() && /\.(ts|tsx)$/.test(e.name)) ? [dir] : [];
  return [...here, ...entries.filter((e) => e.isDirectory()).flatMap((e) => pageFolders(`${dir}/${e.name}`))];
}

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Layering: app -> pages -> modules -> components -> api/i18n. Code outside its own folder is imported
// through the `@/` alias, so the rules below can see where an import goes.
const noParentImports = {
  regex: '^\\.\\./',
  message: 'Import code outside this folder through the "@/" alias (e.g. "@/components/QueryState").',
};
const noHttpClient = {
  regex: '^@/api/client$',
  message: 'Components and pages never call the HTTP client: use a query factory from "@/api/queries/".',
};
const noPages = { regex: '^@/pages/', message: 'Only the router (src/app/) imports pages.' };
const noApp = { regex: '^@/app/', message: 'src/app/ is the top: nothing imports it.' };
const noModules = { regex: '^@/modules/', message: 'Generic components do not depend on product modules.' };

/** Tests may reach across layers (to fake the HTTP transport, to render the real router). */
/**
 * @param {string} folder
 * @param {{ regex: string, message: string }[]} patterns
 * @returns {import('eslint').Linter.Config}
 */
const restrict = (folder, patterns) => ({
  files: [`${folder}/**/*.{ts,tsx}`],
  ignores: ['**/*.test.{ts,tsx}'],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default defineConfig([
  globalIgnores(['dist/', 'coverage/', 'src/api/schema.gen.ts']),
  {
    files: ['**/*.{js,ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: 'error',
      curly: 'error',
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['*.{js,ts}', 'scripts/**', 'tests/**', 'e2e/**'],
    languageOptions: { globals: globals.node },
  },

  // Feature folders (one per route) may not reach into each other: what two pages share belongs in
  // src/modules or src/components. bulletproof-react's rule, with no-restricted-imports.
  ...pageFolders().map((/** @type {string} */ folder) => {
    const own = folder.slice('src/'.length);
    return restrict(folder, [
      noParentImports,
      noHttpClient,
      noApp,
      {
        regex: `^@/pages/(?!${escape(own.slice('pages/'.length))}/)`,
        message: `${folder} is a feature folder: it may not import another page's internals. Move shared code to src/modules or src/components.`,
      },
    ]);
  }),
  restrict('src/modules', [noParentImports, noHttpClient, noApp, noPages]),
  restrict('src/components', [noParentImports, noHttpClient, noApp, noPages, noModules]),
  restrict('src/api', [noApp, noPages, noModules, { regex: '^@/components/', message: 'The API layer has no UI.' }]),
  restrict('src/i18n', [noApp, noPages, noModules]),
]);
