// Rewrites clang 14's relaxed-SIMD FMA into the standard encoding, in place.
//
// clang 14 predates the final relaxed-SIMD opcodes: `__builtin_wasm_fma_f32x4(a, b, c)` comes out
// as the prototype's `f32x4.fma` (0xfd 0xaf 0x01), which no shipping runtime accepts. The
// standard `f32x4.relaxed_madd` (a * b + c, 0xfd 0x85 0x02) has the same operands and the same
// length, so each such instruction is patched at the offsets llvm-objdump reports; every offset
// is checked to hold exactly the old bytes, so nothing else can be touched.
//
// usage: node relax.mjs file.wasm disassembly.txt
import { readFileSync, writeFileSync } from 'node:fs';

const [file, listing] = process.argv.slice(2);
const bytes = readFileSync(file);

// the code section's payload: objdump's offsets count from there
let p = 8;
const leb = () => {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[p++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return value >>> 0;
};
let code = -1;
while (p < bytes.length) {
  const id = bytes[p++];
  const size = leb();
  if (id === 10) code = p;
  p += size;
}
if (code < 0) throw new Error(`${file}: no code section`);

let patched = 0;
for (const line of readFileSync(listing, 'utf8').split('\n')) {
  const match = /^\s*([0-9a-f]+):\s.*\sf32x4\.fma\s*$/.exec(line);
  if (!match) continue;
  const at = code + parseInt(match[1], 16);
  if (bytes[at] !== 0xfd || bytes[at + 1] !== 0xaf || bytes[at + 2] !== 0x01) {
    throw new Error(`${file}: no f32x4.fma at ${at}`);
  }
  bytes[at + 1] = 0x85;
  bytes[at + 2] = 0x02;
  patched++;
}
if (patched === 0) throw new Error(`${file}: no f32x4.fma to patch (is MADD using the builtin?)`);
writeFileSync(file, bytes);
console.log(`${file}: ${patched} f32x4.fma -> f32x4.relaxed_madd`);
