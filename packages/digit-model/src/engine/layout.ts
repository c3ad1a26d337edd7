/**
 * Byte offsets of the structs in engine-src/engine.c (every field is 4 bytes; arrays have MAXL
 * entries), in the order of the C declarations; layout.test.ts checks them against the layout
 * clang reports (recorded by build.sh).
 */
export const MAX_LAYERS = 8;

type Fields = readonly (readonly [name: string, count: number])[];

function offsets<const F extends Fields>(fields: F): { size: number } & Record<F[number][0], number> {
  const result: Record<string, number> = {};
  let at = 0;
  for (const [name, count] of fields) {
    result[name] = at;
    at += 4 * count;
  }
  return { ...result, size: at } as { size: number } & Record<F[number][0], number>;
}

const L = MAX_LAYERS;

export const NET = offsets([
  ['layers', 1],
  ['classes', 1],
  ['in_dim', L],
  ['stride', L],
  ['ld', L],
  ['drop_threshold', L],
  ['drop_scale', L],
  ['W', L],
  ['b', L],
  ['Wp', L],
  ['WTp', L],
  ['activation', L],
  ['units', L],
] as const);

export const JOB = offsets([
  ['net', 1],
  ['images', 1],
  ['fimages', 1],
  ['labels', 1],
  ['order', 1],
  ['pixels', 1],
  ['first', 1],
  ['rows', 1],
  ['batch', 1],
  ['training', 1],
  ['seed', 1],
  ['act', L],
  ['delta', L],
  ['csr_ptr', L],
  ['csr_idx', L],
  ['csr_val', L],
  ['t_ptr', 1],
  ['t_idx', 1],
  ['t_val', 1],
  ['t_count', 1],
  ['gW', L],
  ['gb', L],
  ['probs', 1],
  ['loss', 1],
  ['correct', 1],
] as const);

export const UPDATE = offsets([
  ['net', 1],
  ['threads', 1],
  ['gW0', L],
  ['gb0', L],
  ['grad_stride', 1],
  ['mW', L],
  ['mb', L],
  ['vW', L],
  ['vb', L],
  ['part', 1],
  ['parts', 1],
  ['kind', 1],
  ['nesterov', 1],
  ['lr', 1],
  ['beta1', 1],
  ['beta2', 1],
  ['eps', 1],
  ['one_minus_beta1', 1],
  ['one_minus_beta2', 1],
  ['one_minus_acc_beta1', 1],
  ['one_minus_acc_beta2', 1],
] as const);
