import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Suites that run the shipped CLI (dist/src/cli/main.js) need a fresh build. test/run.sh builds
 * first and sets JSG_SKIP_BUILD=1; a bare `npx vitest run` builds here, once.
 */
export default function setup(): void {
  if (process.env.JSG_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  try {
    execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.json`], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    // tsc still emits on type errors; the type check proper is `npm run typecheck` (run by .ci/run).
    const output = String((error as { stdout?: Buffer }).stdout ?? '');
    process.stderr.write(`warning: the build reported type errors (dist was still written):\n${output.slice(0, 4000)}\n`);
  }
}
