// @ts-check
// Fails when src/api/schema.gen.ts is not what `npm run gen:api` makes from ../api/openapi.yaml.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('..', import.meta.url));
const committed = join(web, 'src/api/schema.gen.ts');
const dir = mkdtempSync(join(tmpdir(), 'neuropod-api-'));
const fresh = join(dir, 'schema.gen.ts');

try {
  const run = spawnSync(join(web, 'node_modules/.bin/openapi-typescript'), ['../api/openapi.yaml', '--output', fresh], {
    cwd: web,
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    console.error(`check:api: openapi-typescript failed on api/openapi.yaml:\n${run.stdout}${run.stderr}${run.error ?? ''}`);
    process.exit(1);
  }
  if (!existsSync(committed)) {
    console.error('check:api: src/api/schema.gen.ts is missing. Run `npm run gen:api` in web/ and commit it.');
    process.exit(1);
  }
  const want = readFileSync(fresh, 'utf8').split('\n');
  const have = readFileSync(committed, 'utf8').split('\n');
  const first = want.findIndex((line, i) => line !== have[i]);
  if (first === -1 && want.length === have.length) {
    console.log('check:api: src/api/schema.gen.ts is up to date with api/openapi.yaml');
    process.exit(0);
  }
  const line = first === -1 ? Math.min(want.length, have.length) : first;
  console.error(
    [
      'check:api: src/api/schema.gen.ts is OUT OF DATE with api/openapi.yaml.',
      'Run `npm run gen:api` in web/ and commit the result (never edit schema.gen.ts by hand).',
      `First difference at line ${line + 1}:`,
      `  committed: ${have[line] ?? '(end of file)'}`,
      `  generated: ${want[line] ?? '(end of file)'}`,
    ].join('\n'),
  );
  process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
