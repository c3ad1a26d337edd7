import fc from 'fast-check';

/** One edit of a file: a byte set to a value, the file cut short, bytes spliced in, or a run copied elsewhere. */
export type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; bytes: Uint8Array }
  | { kind: 'copy'; from: number; to: number; length: number };

// Half the positions land in the first 64 bytes, where headers live and a flip matters most.
const position = fc.oneof(fc.nat({ max: 63 }), fc.nat({ max: 2 ** 30 }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: position, value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.nat({ max: 255 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), at: position, bytes: fc.uint8Array({ maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copy' as const), from: position, to: position, length: fc.integer({ min: 1, max: 64 }) }) },
);

/** Up to `max` random edits of a real file (byte flips, truncation, splices); shrinks to the fewest that fail. */
export const mutations = (max = 4) => fc.array(mutation, { minLength: 1, maxLength: max });

/** Applies edits to a copy of `bytes`; positions wrap around the file's length. */
export function applyMutations(bytes: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const edit of edits) {
    const n = out.length;
    if (n === 0) break;
    if (edit.kind === 'set') out[edit.at % n] = edit.value;
    else if (edit.kind === 'truncate') out = out.slice(0, edit.at % n);
    else if (edit.kind === 'splice') {
      const at = edit.at % (n + 1);
      const next = new Uint8Array(n + edit.bytes.length);
      next.set(out.subarray(0, at));
      next.set(edit.bytes, at);
      next.set(out.subarray(at), at + edit.bytes.length);
      out = next;
    } else out.copyWithin(edit.to % n, edit.from % n, (edit.from % n) + edit.length);
  }
  return out;
}

/** Fixed seed and bounded runs: the same cases on every machine and in CI. */
export const FUZZ = { seed: 12, numRuns: 300 } as const;
