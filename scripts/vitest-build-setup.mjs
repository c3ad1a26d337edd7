// vitest globalSetup for the apps whose tests run what users run (apps/cli/dist/cli.js, the built
// site in apps/web/dist): build that first, so `vitest` in the app's folder after a source edit
// never tests a stale build. turbo rebuilds only what changed (a cache hit takes a few seconds).
// Skipped under `turbo run test`, which has built it already (test dependsOn build), and with
// DIGITS_TEST_NO_BUILD=1 for someone iterating on the tests alone.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export default function buildWhatTheTestsRun() {
  if (process.env.TURBO_HASH || process.env.DIGITS_TEST_NO_BUILD) return;
  const { name } = JSON.parse(readFileSync('package.json', 'utf8'));
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', `--filter=${name}...`, '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
}
