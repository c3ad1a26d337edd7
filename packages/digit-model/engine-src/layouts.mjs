// Reads clang's `-fdump-record-layouts` output (stdin) for the structs the TypeScript side fills
// in and prints them as JSON: { Struct: { size, fields: { name: byteOffset } } }. build.sh records
// it in wasm-binary.ts, and src/engine/layout.test.ts checks layout.ts against it.
import { readFileSync } from 'node:fs';

const WANTED = ['Net', 'Job', 'UpdateJob', 'Op', 'Program', 'ProgramJob', 'ProgramUpdate'];
const structs = {};
let current;
for (const line of readFileSync(0, 'utf8').split('\n')) {
  const field = /^\s*(\d+) \|(\s+)(.*\S)\s*$/.exec(line);
  if (field) {
    const [, offset, indent, text] = field;
    if (indent.length === 1) {
      current = WANTED.includes(text) ? (structs[text] = { size: 0, fields: {} }) : undefined;
    } else if (current && indent.length === 3) {
      current.fields[text.split(' ').pop()] = Number(offset);
    }
    continue;
  }
  const size = /\[sizeof=(\d+),/.exec(line);
  if (size && current) current.size = Number(size[1]);
}
for (const name of WANTED) if (!structs[name]?.size) throw new Error(`no layout for ${name}`);
console.log(JSON.stringify(structs));
