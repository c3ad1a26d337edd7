// The digits engine for any Sequential model of the layers it knows: a compiled program (a list
// of ops, program.h) run forward and backward on each thread's share of a batch, then the
// optimizer on each thread's share of the parameters. src/engine/program/ compiles a tfjs model
// into the ops, plans the memory and drives the threads.
//
// One section per op family: op-gemm.h (Dense, Conv2D), op-pool.h (max and average pooling),
// op-batchnorm.h, op-activation.h; dropout and repacking are here, the loss in loss.h.
//
// Layout: maps are channels-last, each pixel's channels padded to a multiple of 4 floats where the
// op writes them with SIMD (Dense and Conv2D outputs); padded channels stay exactly zero, and each
// sample's floats are a multiple of 4.

#include "simd.h"
#include "spmm.h"
#include "dropout.h"
#include "optimizer.h"
#include "loss.h"
#include "program.h"
#include "op-activation.h"
#include "op-gemm.h"
#include "op-pool.h"
#include "op-batchnorm.h"

// ---- dropout and repacking --------------------------------------------------------------------

// y = x * mask / (1 - rate) (training) or x; backward: dx = D * the same factors. The mask of op i
// depends only on (seed, i, position in the epoch, unit), not on how the batch is split.
static void dropout_apply(const ProgramJob *job, int i, const float *src, float *dst) {
  const Op *o = &job->prog->op[i];
  int n = o->out_size;
  if (!job->training || !o->drop_threshold) {
    for (int k = 0; k < job->rows * n; k++) dst[k] = src[k];
    return;
  }
  v128_t scale = wasm_f32x4_splat(o->drop_scale);
  for (int r = 0; r < job->rows; r++) {
    uint32_t rowseed = dropout_row_seed(job->seed, job->first + r, i);
    for (int k = 0; k < n; k += 4) {
      v128_t v = wasm_f32x4_mul(wasm_v128_load(src + r * n + k), scale);
      wasm_v128_store(dst + r * n + k, wasm_v128_and(v, dropout_keep4(rowseed, k, o->drop_threshold)));
    }
  }
}

// The factors dropout op i multiplies its input by in training (0 or 1 / (1 - rate)) for the rows
// at positions [first, first + rows) of a batch trained with `seed`: rows x out_size floats.
__attribute__((export_name("dropout_factors"))) void dropout_factors(const Program *prog, int i, uint32_t seed, int first, int rows, float *out) {
  const Op *o = &prog->op[i];
  int n = o->out_size;
  v128_t scale = wasm_f32x4_splat(o->drop_threshold ? o->drop_scale : 1.0f);
  for (int r = 0; r < rows; r++) {
    uint32_t rowseed = dropout_row_seed(seed, first + r, i);
    for (int k = 0; k < n; k += 4) {
      v128_t keep = o->drop_threshold ? dropout_keep4(rowseed, k, o->drop_threshold) : wasm_i32x4_splat(-1);
      wasm_v128_store(out + r * n + k, wasm_v128_and(scale, keep));
    }
  }
}

// Element j of a sample: at j / c * cs + j % c in the input, j / oc * ocs + j % oc in the output.
static void repack(const Op *o, int rows, const float *src, float *dst, int backward) {
  int from_n = backward ? o->out_size : o->in_size, to_n = backward ? o->in_size : o->out_size;
  int fc = backward ? o->oc : o->c, fcs = backward ? o->ocs : o->cs;
  int tc = backward ? o->c : o->oc, tcs = backward ? o->cs : o->ocs;
  for (int k = 0; k < rows * to_n; k++) dst[k] = 0;
  for (int r = 0; r < rows; r++) {
    for (int j = 0; j < o->count; j++) dst[r * to_n + j / tc * tcs + j % tc] = src[r * from_n + j / fc * fcs + j % fc];
  }
}

// ---- the passes -------------------------------------------------------------------------------

static void load_input(ProgramJob *job) {
  int n = job->prog->op[0].in_size, pixels = job->pixels;
  float *x = job->act[0];
  for (int r = 0; r < job->rows; r++) {
    int pos = job->first + r;
    int sample = job->order ? (int)job->order[pos] : pos;
    float *xr = x + r * n;
    if (job->fimages) {
      const float *a = job->fimages + (long)sample * pixels;
      for (int k = 0; k < pixels; k++) xr[k] = a[k];
    } else {
      const uint8_t *a = job->images + (long)sample * pixels;
      for (int k = 0; k < pixels; k++) xr[k] = (float)a[k] / 255.0f;
    }
    for (int k = pixels; k < n; k++) xr[k] = 0;
  }
}

static void forward(ProgramJob *job) {
  const Program *prog = job->prog;
  load_input(job);
  for (int i = 0; i < prog->ops; i++) {
    const Op *o = &prog->op[i];
    float *x = job->act[i], *y = job->act[i + 1];
    int pixels = job->rows * o->oh * o->ow;
    switch (o->kind) {
      case OP_DENSE:
      case OP_CONV: gemm_forward(prog, job, i, x, y); break;
      case OP_MAXPOOL: maxpool_forward(o, job->rows, x, y, (int32_t *)job->aux[i]); break;
      case OP_AVGPOOL: avgpool(o, job->rows, x, y, 0); break;
      case OP_BATCHNORM: batchnorm_forward(prog, job, i, x, y, job->training); break;
      case OP_DROPOUT: dropout_apply(job, i, x, y); break;
      case OP_ACTIVATION: for (int k = 0; k < job->rows * o->out_size; k++) y[k] = x[k]; break;
      case OP_REPACK: repack(o, job->rows, x, y, 0); break;
    }
    if (o->kind != OP_DENSE && o->kind != OP_CONV) activate(o->act, y, pixels, o->oc, o->ocs);
  }
  const Op *last = &prog->op[prog->ops - 1];
  softmax_xent(job->rows, job->first, job->batch, job->training, job->labels, job->order, job->probs, job->act[prog->ops],
               job->delta[prog->ops], last->out_size, last->out_size, prog->classes, &job->loss, &job->correct);
}

static void backward(ProgramJob *job) {
  const Program *prog = job->prog;
  for (int i = prog->ops - 1; i >= 0; i--) {
    const Op *o = &prog->op[i];
    int has_params = o->kind == OP_DENSE || o->kind == OP_CONV || o->kind == OP_BATCHNORM;
    if (!has_params && !o->need_dx) break;
    float *x = job->act[i], *y = job->act[i + 1], *D = job->delta[i + 1], *dx = job->delta[i];
    if (o->kind != OP_DENSE && o->kind != OP_CONV) activate_backward(o->act, y, D, job->rows * o->out_size);
    switch (o->kind) {
      case OP_DENSE:
      case OP_CONV: gemm_backward(job, i, x, y, D, dx); break;
      case OP_MAXPOOL: maxpool_backward(o, job->rows, D, (const int32_t *)job->aux[i], dx); break;
      case OP_AVGPOOL: avgpool(o, job->rows, D, dx, 1); break;
      case OP_BATCHNORM: batchnorm_backward(prog, job, i, D, dx); break;
      case OP_DROPOUT: dropout_apply(job, i, D, dx); break;
      case OP_ACTIVATION: for (int k = 0; k < job->rows * o->in_size; k++) dx[k] = D[k]; break;
      case OP_REPACK: repack(o, job->rows, D, dx, 1); break;
    }
  }
}

__attribute__((export_name("run_job"))) void run_job(ProgramJob *job) {
  forward(job);
  if (job->training) backward(job);
}

// ---- the optimizer step -------------------------------------------------------------------------

static int has_kernel(const Op *o) { return o->kind == OP_DENSE || o->kind == OP_CONV; }

// This part's share of `count` quads (rows are split in multiples of 4 for the 4x4 transposes;
// the last share takes the remainder).
static inline void share(int count, int part, int parts, int *r0, int *r1) {
  *r0 = count / 4 * part / parts * 4;
  *r1 = part + 1 == parts ? count : count / 4 * (part + 1) / parts * 4;
}

__attribute__((export_name("run_update"))) void run_update(const ProgramUpdate *a) {
  const Program *prog = a->prog;
  const OptStep *step = (const OptStep *)&a->kind;
  float *P = prog->P;
  for (int i = 0; i < prog->ops; i++) {
    const Op *o = &prog->op[i];
    int r0, r1;
    if (has_kernel(o)) {
      share(o->K, a->part, a->parts, &r0, &r1);
      int at = o->W + r0 * o->ocs, n = (r1 - r0) * o->ocs;
      update_range(step, a->threads, a->grad_stride, P + at, a->M + at, a->V + at, a->G0 + at, n);
      pack_rows(P + o->W, o->ocs, o->ocs, o->K, r0, r1, o->Wp, o->need_dx ? o->WTp : 0);
      share(o->ocs, a->part, a->parts, &r0, &r1);
      update_range(step, a->threads, a->grad_stride, P + o->b + r0, a->M + o->b + r0, a->V + o->b + r0, a->G0 + o->b + r0, r1 - r0);
    } else if (o->kind == OP_BATCHNORM) {
      share((o->cs + 3) & ~3, a->part, a->parts, &r0, &r1);
      for (int k = 0; k < 2; k++) {
        int at = (k ? o->b : o->W) + r0;
        update_range(step, a->threads, a->grad_stride, P + at, a->M + at, a->V + at, a->G0 + at, r1 - r0);
      }
    }
  }
}

// Rebuilds the packed kernels from the parameters (after weights were loaded).
__attribute__((export_name("pack_weights"))) void pack_weights(const Program *prog) {
  for (int i = 0; i < prog->ops; i++) {
    const Op *o = &prog->op[i];
    if (has_kernel(o)) pack_rows(prog->P + o->W, o->ocs, o->ocs, o->K, 0, o->K, o->Wp, o->need_dx ? o->WTp : 0);
  }
}
