import { unzipSync, zipSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDigitsError } from '@digits/mnist-data';
import { applyMutations, FUZZ, mutations } from '../../mnist-data/src/test-utils/mutations';
import { readFixture } from './test-utils/fixtures';
import { readZipMembers } from './zip';

const MiB = 1024 * 1024;
const KERAS = 'keras3.11.1_mnist_cnn.keras';
const WANTED = { 'config.json': MiB, 'model.weights.h5': 64 * MiB };

/** Rewrites the uncompressed size a zip records for its members (local and central headers): a zip that lies. */
function claimSize(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const signature = view.getUint32(i, true);
    if (signature === 0x04034b50) view.setUint32(i + 22, size, true);
    if (signature === 0x02014b50) view.setUint32(i + 24, size, true);
  }
  return out;
}

describe('readZipMembers: only the members we use, never past their size', () => {
  it('reads config.json and model.weights.h5 of a real .keras byte for byte, and lists every member', () => {
    const bytes = readFixture(KERAS);
    const { members, names } = readZipMembers(bytes, WANTED, KERAS);
    const all = unzipSync(bytes);
    expect(names.sort()).toEqual(Object.keys(all).sort());
    expect([...members.keys()].sort()).toEqual(['config.json', 'model.weights.h5']);
    for (const [name, data] of members) expect(Buffer.from(data).equals(Buffer.from(all[name]!))).toBe(true);
  });

  it('never inflates a member it does not use (this one is not even valid deflate data)', () => {
    const zip = zipSync({ 'config.json': new TextEncoder().encode('{}'), 'junk.bin': [new Uint8Array(4 * MiB), { level: 1 }] });
    // corrupt junk.bin's deflate stream: inflating it would throw
    const at = Buffer.from(zip).indexOf('junk.bin') + 'junk.bin'.length;
    zip.fill(0xff, at, at + 64);
    const { members } = readZipMembers(zip, WANTED, 'z.keras');
    expect(new TextDecoder().decode(members.get('config.json'))).toBe('{}');
  });

  it('refuses a member that declares more than its limit, from the header (DECOMPRESSION_LIMIT)', () => {
    const zip = zipSync({ 'config.json': [new Uint8Array(2 * MiB), { level: 1 }] });
    expect(() => readZipMembers(zip, WANTED, 'z.keras')).toThrow(expect.objectContaining({ code: 'DECOMPRESSION_LIMIT', message: expect.stringMatching(/config\.json declares 2097152 bytes, more than the 1048576 bytes accepted/) }));
  });

  it('stops a member that inflates past what it declares, at once (DECOMPRESSION_LIMIT)', () => {
    const bomb = claimSize(zipSync({ 'model.weights.h5': [new Uint8Array(24 * MiB), { level: 1 }] }), 1000);
    const started = Date.now();
    expect(() => readZipMembers(bomb, WANTED, 'z.keras')).toThrow(expect.objectContaining({ code: 'DECOMPRESSION_LIMIT', message: expect.stringMatching(/model\.weights\.h5 inflates to more than the 1000 bytes it declares/) }));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fuzzed: mutations of the real .keras read or throw a DigitsError, nothing else (fixed seed)', () => {
    const bytes = readFixture(KERAS);
    fc.assert(
      fc.property(mutations(), (edits) => {
        try {
          readZipMembers(applyMutations(bytes, edits), WANTED, 'fuzzed.keras');
          return true;
        } catch (error) {
          return isDigitsError(error);
        }
      }),
      { ...FUZZ, numRuns: 200 },
    );
  });
});
