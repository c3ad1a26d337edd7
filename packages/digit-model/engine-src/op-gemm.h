// Dense and Conv2D: one product each way through the sparse-row kernel (spmm.h).
// Forward: the input's rows (Dense) or its im2col rows (Conv2D, built sparse straight from the
// map) times the packed kernel, plus the bias. Backward: the bias gradient (column sums), the
// kernel gradient (the input rows' transpose times delta) and, where needed, the input gradient
// (delta's sparse rows times the packed transposed kernel; for Conv2D then scattered back by col2im).
// Inputs after ReLU, pooling and dropout are mostly zero and so are the deltas behind a max-pool,
// so every product only touches nonzeros.
#pragma once
#include "program.h"
#include "spmm.h"

// The sparse rows of the op's left operand for `rows` samples of input x: one row per output
// pixel, entry (ky * kw + kx) * cs + channel. Returns the number of rows.
static int gemm_rows(const Op *o, int rows, const float *x, int32_t *ptr, int32_t *idx, float *val) {
  if (o->kind == OP_DENSE) {
    dense_to_csr(rows, o->in_size, x, o->in_size, ptr, idx, val);
    return rows;
  }
  int nnz = 0, r = 0, cs = o->cs;
  for (int s = 0; s < rows; s++) {
    const float *xs = x + s * o->in_size;
    for (int oy = 0; oy < o->oh; oy++) {
      for (int ox = 0; ox < o->ow; ox++, r++) {
        ptr[r] = nnz;
        FOR_WINDOW(o, oy, ox) {
          const float *p = xs + (iy * o->w + ix) * cs;
          int base = (ky * o->kw + kx) * cs;
          if (cs % 4 == 0) {
            for (int k = 0; k < cs; k += 4) {
              int mask = wasm_i32x4_bitmask(wasm_f32x4_ne(wasm_v128_load(p + k), wasm_f32x4_splat(0)));
              while (mask) {
                int q = __builtin_ctz(mask);
                mask &= mask - 1;
                idx[nnz] = base + k + q;
                val[nnz] = p[k + q];
                nnz++;
              }
            }
          } else {
            for (int k = 0; k < cs; k++) if (p[k] != 0.0f) { idx[nnz] = base + k; val[nnz] = p[k]; nnz++; }
          }
        }
      }
    }
  }
  ptr[r] = nnz;
  return r;
}

static void gemm_forward(const Program *prog, ProgramJob *job, const Op *o, const float *x, float *y) {
  int n = gemm_rows(o, job->rows, x, job->csr_ptr, job->csr_idx, job->csr_val);
  spmm_packed(n, job->csr_ptr, job->csr_idx, job->csr_val, o->Wp, o->K, y, o->ocs, o->ocs, prog->P + o->b);
}

// Adds the im2col rows' gradients (n x K) back into the input map's gradient.
static void col2im(const Op *o, int rows, const float *dcol, float *dx) {
  int cs = o->cs;
  for (int k = 0; k < rows * o->in_size; k++) dx[k] = 0;
  const float *d = dcol;
  for (int s = 0; s < rows; s++) {
    float *xs = dx + s * o->in_size;
    for (int oy = 0; oy < o->oh; oy++) {
      for (int ox = 0; ox < o->ow; ox++, d += o->K) {
        FOR_WINDOW(o, oy, ox) {
          float *p = xs + (iy * o->w + ix) * cs;
          const float *q = d + (ky * o->kw + kx) * cs;
          if (cs % 4 == 0) {
            for (int k = 0; k < cs; k += 4) wasm_v128_store(p + k, wasm_f32x4_add(wasm_v128_load(p + k), wasm_v128_load(q + k)));
          } else {
            for (int k = 0; k < cs; k++) p[k] += q[k];
          }
        }
      }
    }
  }
}

// D: dLoss/dZ of the op's output (activation derivative already applied), n rows x ocs.
static void gemm_backward(ProgramJob *job, const Op *o, const float *x, const float *D, float *dx) {
  float *G = job->G;
  int ocs = o->ocs;
  int n = gemm_rows(o, job->rows, x, job->csr_ptr, job->csr_idx, job->csr_val);
  for (int k = 0; k < ocs; k += 4) {
    v128_t s = wasm_f32x4_splat(0);
    for (int r = 0; r < n; r++) s = wasm_f32x4_add(s, wasm_v128_load(D + r * ocs + k));
    wasm_v128_store(G + o->b + k, s);
  }
  csr_transpose(n, o->K, job->csr_ptr, job->csr_idx, job->csr_val, job->t_ptr, job->t_idx, job->t_val, job->t_count);
  spmm(o->K, job->t_ptr, job->t_idx, job->t_val, D, ocs, G + o->W, ocs, ocs, 0);
  if (!o->need_dx) return;
  dense_to_csr(n, ocs, D, ocs, job->csr_ptr, job->csr_idx, job->csr_val);
  if (o->kind == OP_DENSE) {
    spmm_packed(n, job->csr_ptr, job->csr_idx, job->csr_val, o->WTp, ocs, dx, o->in_size, o->K, 0);
  } else {
    spmm_packed(n, job->csr_ptr, job->csr_idx, job->csr_val, o->WTp, ocs, job->dcol, o->K, o->K, 0);
    col2im(o, job->rows, job->dcol, dx);
  }
}
