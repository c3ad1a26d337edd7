import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The default entry must bundle for the browser: nothing outside src/node/ may import Node built-ins.
describe('browser-safe default entry', () => {
  it('imports no Node built-ins outside src/node/', () => {
    const dir = import.meta.dirname;
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'node.ts');
    expect(sources).toContain('index.ts');
    for (const file of sources) {
      const imports = [...readFileSync(join(dir, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      expect(imports.filter((i) => !i.startsWith('./') || i.startsWith('./node')), file).toEqual([]);
    }
  });
});
