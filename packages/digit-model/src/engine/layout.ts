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
  ['tr_ptr', L],
  ['tr_idx', L],
  ['tr_val', L],
  ['probs', 1],
  ['loss', 1],
  ['correct', 1],
] as const);

/** optimizer.h's OptStep: the fields both engines' update structs end in, in this order. */
const OPT_STEP = [
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
] as const;

export const UPDATE = offsets([
  ['net', 1],
  ['jobs', 1],
  ['shards', 1],
  ['scratch', 1],
  ['group', 1],
  ['mW', L],
  ['mb', L],
  ['vW', L],
  ['vb', L],
  ['part', 1],
  ['parts', 1],
  ...OPT_STEP,
] as const);

/** The ops array of engine-src/program.h holds at most this many ops. */
export const MAX_OPS = 32;
const O = MAX_OPS + 1;

export const OP = offsets([
  ...(['kind', 'act', 'in_size', 'out_size', 'h', 'w', 'c', 'cs', 'oh', 'ow', 'oc', 'ocs', 'kh', 'kw', 'sh', 'sw', 'pt', 'pl', 'K', 'W', 'b', 'Wp', 'WTp', 'mean', 'var'] as const).map(
    (name) => [name, 1] as const,
  ),
  ['drop_threshold', 1],
  ['drop_scale', 1],
  ['eps', 1],
  ['momentum', 1],
  ['need_dx', 1],
  ['count', 1],
] as const);

export const PROGRAM = offsets([
  ['ops', 1],
  ['classes', 1],
  ['P', 1],
  ['stats', 1],
  ['op', 1],
] as const);

export const PROGRAM_JOB = offsets([
  ['prog', 1],
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
  ['act', O],
  ['delta', O],
  ['aux', MAX_OPS],
  ['bn', MAX_OPS],
  ['keep_ptr', MAX_OPS],
  ['keep_idx', MAX_OPS],
  ['keep_val', MAX_OPS],
  ['csr_ptr', 1],
  ['csr_idx', 1],
  ['csr_val', 1],
  ['t_ptr', 1],
  ['t_idx', 1],
  ['t_val', 1],
  ['t_count', 1],
  ['dcol', 1],
  ['G', 1],
  ['probs', 1],
  ['shard', 1],
  ['shards', 1],
  ['sync', 1],
  ['partial', 1],
  ['partial_stride', 1],
  ['loss', 1],
  ['correct', 1],
] as const);

export const PROGRAM_UPDATE = offsets([
  ['prog', 1],
  ['threads', 1],
  ['G0', 1],
  ['grad_stride', 1],
  ['M', 1],
  ['V', 1],
  ['part', 1],
  ['parts', 1],
  ...OPT_STEP,
] as const);
