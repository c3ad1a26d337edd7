import { describe, expect, it } from 'vitest';
import { JOB, NET, OP, PROGRAM, PROGRAM_JOB, PROGRAM_UPDATE, UPDATE } from './layout';
import { ENGINE_STRUCTS } from './wasm-binary';

describe('the struct layouts', () => {
  // ENGINE_STRUCTS is clang's own layout of engine.c's and program.h's structs (build.sh records it; the sources'
  // hash test makes sure it is current), so a field added, moved or resized on one side only fails here.
  it.each([
    ['Net', NET],
    ['Job', JOB],
    ['UpdateJob', UPDATE],
    ['Op', OP],
    ['Program', PROGRAM],
    ['ProgramJob', PROGRAM_JOB],
    ['ProgramUpdate', PROGRAM_UPDATE],
  ] as const)('layout.ts places every field of %s where the compiler does', (name, layout) => {
    const { size, ...fields } = layout;
    expect(fields).toEqual(ENGINE_STRUCTS[name]!.fields);
    expect(size).toBe(ENGINE_STRUCTS[name]!.size);
  });
});
