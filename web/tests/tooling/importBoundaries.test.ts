import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The ESLint import rules of eslint.config.js, exercised on code that breaks them.
const eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries (eslint.config.js)', () => {
  it("a page may not import another page's internals", async () => {
    const messages = await restrictedImports(
      'src/pages/home/Widget.tsx',
      "import { NotFoundPage } from '@/pages/not-found/NotFoundPage';\nexport const x = NotFoundPage;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/feature folder/);

    expect(
      await restrictedImports(
        'src/pages/not-found/Other.tsx',
        "import { HomePage } from '@/pages/home/HomePage';\nexport const x = HomePage;\n",
      ),
    ).toHaveLength(1);
  });

  it('nor sneak around the rule with a relative path', async () => {
    const messages = await restrictedImports(
      'src/pages/home/Widget.tsx',
      "import { NotFoundPage } from '../not-found/NotFoundPage';\nexport const x = NotFoundPage;\n",
    );
    expect(messages).toHaveLength(1);
  });

  it('a page may import its own files, modules, components and query factories', async () => {
    const code = [
      "import { Helper } from '@/pages/home/Helper';",
      "import { Local } from './Local';",
      "import { StatusCard } from '@/modules/system/StatusCard';",
      "import { QueryState } from '@/components/QueryState';",
      "import { statusQuery } from '@/api/queries/system';",
      'export const all = [Helper, Local, StatusCard, QueryState, statusQuery];',
      '',
    ].join('\n');
    expect(await restrictedImports('src/pages/home/Widget.tsx', code)).toEqual([]);
  });

  it('pages, modules and components never import the HTTP client', async () => {
    const code = "import { apiClient } from '@/api/client';\nexport const c = apiClient;\n";
    for (const file of ['src/pages/home/Widget.tsx', 'src/modules/system/Thing.tsx', 'src/components/Thing.tsx']) {
      expect(await restrictedImports(file, code), file).toHaveLength(1);
    }
    expect(await restrictedImports('src/api/queries/pods.ts', code)).toEqual([]);
  });

  it('generic components do not depend on product modules or pages', async () => {
    expect(
      await restrictedImports(
        'src/components/Thing.tsx',
        "import { StatusCard } from '@/modules/system/StatusCard';\nexport const x = StatusCard;\n",
      ),
    ).toHaveLength(1);
  });
}, 60_000);
