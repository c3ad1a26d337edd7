import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runDigits } from './run';

const work = mkdtempSync(join(tmpdir(), 'digits-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('measure: reports the child CLI peak memory in kB', async () => {
  const result = await runDigits(['--version'], { cwd: work, measure: true });
  expect(result.code).toBe(0);
  // A Node process with tfjs loaded holds tens of MB; a bogus figure (0, bytes) would fall outside.
  expect(result.maxRssKb).toBeGreaterThan(20_000);
  expect(result.maxRssKb).toBeLessThan(1_000_000);
});
