import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ENGINE_COMPILER,
  ENGINE_SOURCES_SHA256,
  ENGINE_WASM_SHARED,
  ENGINE_WASM_SHARED_RELAXED,
  ENGINE_WASM_SINGLE,
  ENGINE_WASM_SINGLE_RELAXED,
} from './wasm-binary';
import { relaxedSimdAvailable } from './engine';

const SOURCES = fileURLToPath(new URL('../../engine-src/', import.meta.url));
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

describe('the committed engine binary', () => {
  it('was built from the committed sources (rerun engine-src/build.sh after editing them)', () => {
    // as build.sh: `sha256sum` lines of every file, sorted by name, hashed again
    const names = readdirSync(SOURCES)
      .filter((name) => statSync(join(SOURCES, name)).isFile())
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(names).toContain('engine.c');
    const listing = names.map((name) => `${sha256(readFileSync(join(SOURCES, name)))}  ${name}\n`).join('');
    expect(sha256(listing)).toBe(ENGINE_SOURCES_SHA256);
  });

  it('was built by the pinned compiler', () => {
    const script = readFileSync(join(SOURCES, 'build.sh'), 'utf8');
    expect(script).toContain(`expected_clang="${ENGINE_COMPILER}"`);
  });

  it('holds valid SIMD128 builds, and relaxed builds that validate exactly where relaxed SIMD does', () => {
    const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    expect(WebAssembly.validate(bytes(ENGINE_WASM_SINGLE))).toBe(true);
    expect(WebAssembly.validate(bytes(ENGINE_WASM_SHARED))).toBe(true);
    const relaxed = relaxedSimdAvailable();
    expect(WebAssembly.validate(bytes(ENGINE_WASM_SINGLE_RELAXED))).toBe(relaxed);
    expect(WebAssembly.validate(bytes(ENGINE_WASM_SHARED_RELAXED))).toBe(relaxed);
  });
});
