/**
 * The page's TypeScript (web/page/, DOM lib) is a program of its own, outside tsconfig.json:
 * `npm run build` compiles it, and this test type-checks it with the rest of the suite.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

it('web/page type-checks strictly against the DOM and the /api/topology types', async () => {
  const result = await run(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', `${ROOT}/web/page/tsconfig.json`, '--noEmit'], { cwd: ROOT })
    .then(() => '', (err: { stdout?: string }) => err.stdout ?? String(err));
  expect(result).toBe('');
}, 120_000);
