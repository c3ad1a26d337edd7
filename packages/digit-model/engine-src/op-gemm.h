// Dense and Conv2D: products through the sparse-row kernel (spmm.h), one row per output pixel.
// Forward: the input's rows (Dense) or its im2col rows (Conv2D, built sparse straight from the
// map, a block of rows at a time so that they stay in cache) times the packed kernel, plus the
// bias. Backward: the bias gradient (column sums); the kernel gradient; and where needed the input
// gradient (delta's sparse rows times the packed transposed kernel; for Conv2D a block at a time,
// scattered back by col2im). Inputs after ReLU, pooling and dropout are mostly zero and so are the
// deltas behind a max-pool, so every product only touches nonzeros.
//
// The kernel gradient takes whichever operand is sparse in a way SIMD can use: for a Dense layer,
// and a Conv2D whose input channels are not a multiple of 4 (the first layer of a CNN), the input
// rows' transpose (a counting sort) times delta; for other Conv2Ds, delta's nonzeros times the
// input map's pixels, accumulated into the kernel's transpose (delta behind a max-pool is ~80% zero).
#pragma once
#include "program.h"
#include "spmm.h"
#include "gemm.h"
#include "op-activation.h"

// im2col rows a Conv2D builds, multiplies and scatters back at a time
#define CONV_BLOCK 256

// Output pixel g of the shard's samples (s = g / (oh * ow)) at (oy, ox).
#define PIXEL_OF(o, g, s, oy, ox)                   \
  int s = (g) / ((o)->oh * (o)->ow);                \
  int oy = (g) % ((o)->oh * (o)->ow) / (o)->ow;     \
  int ox = (g) % (o)->ow

// The sparse rows of the op's left operand for output pixels [g0, g1) (Dense: samples) of input
// x: entry (ky * kw + kx) * cs + channel of each tap inside the map.
static void gemm_rows(const Op *o, int g0, int g1, const float *x, int32_t *ptr, int32_t *idx, float *val) {
  if (o->kind == OP_DENSE) {
    dense_to_csr(g1 - g0, o->in_size, x + g0 * o->in_size, o->in_size, ptr, idx, val);
    return;
  }
  int nnz = 0, cs = o->cs;
  for (int g = g0; g < g1; g++) {
    PIXEL_OF(o, g, s, oy, ox);
    const float *xs = x + s * o->in_size;
    ptr[g - g0] = nnz;
    FOR_WINDOW(o, oy, ox) {
      const float *p = xs + (iy * o->w + ix) * cs;
      int base = (ky * o->kw + kx) * cs;
      if (cs % 4 == 0) {
        for (int k = 0; k < cs; k += 4) nnz = append_nonzeros4(wasm_v128_load(p + k), base + k, idx, val, nnz);
      } else {
        for (int k = 0; k < cs; k++) if (p[k] != 0.0f) { idx[nnz] = base + k; val[nnz] = p[k]; nnz++; }
      }
    }
  }
  ptr[g1 - g0] = nnz;
}

static inline int gemm_pixels(const ProgramJob *job, const Op *o) {
  return o->kind == OP_DENSE ? job->rows : job->rows * o->oh * o->ow;
}

// Dense im2col rows of output pixels [g0, g1): K floats each, zero outside the map and past the taps.
static void im2col(const Op *o, int g0, int g1, const float *x, float *cols) {
  int cs = o->cs;
  for (int k = 0; k < (g1 - g0) * o->K; k++) cols[k] = 0;
  for (int g = g0; g < g1; g++) {
    PIXEL_OF(o, g, s, oy, ox);
    const float *xs = x + s * o->in_size;
    float *row = cols + (g - g0) * o->K;
    FOR_WINDOW(o, oy, ox) {
      const float *p = xs + (iy * o->w + ix) * cs;
      float *q = row + (ky * o->kw + kx) * cs;
      for (int k = 0; k < cs; k++) q[k] = p[k];
    }
  }
}

// The fraction of the shard's inputs that are nonzero (n floats), to choose the product.
static float nonzero_share(const float *x, int n) {
  int count = 0, k = 0;
  for (; k + 4 <= n; k += 4) count += __builtin_popcount(wasm_i32x4_bitmask(wasm_f32x4_ne(wasm_v128_load(x + k), wasm_f32x4_splat(0))));
  for (; k < n; k++) count += x[k] != 0.0f;
  return n ? (float)count / (float)n : 0.0f;
}

// Whether op i keeps its im2col rows from the forward pass for its kernel gradient (engine.ts
// allocates them for Conv2Ds whose input channels are not a multiple of 4, in training).
static inline int keeps_rows(const ProgramJob *job, const Op *o, int i) {
  return o->kind == OP_CONV && job->training && job->keep_ptr[i] != 0;
}

static void gemm_forward(const Program *prog, ProgramJob *job, int i, const float *x, float *y) {
  const Op *o = &prog->op[i];
  int n = gemm_pixels(job, o);
  const float *bias = prog->P + o->b;
  // inputs over 90% nonzero (after sigmoid, tanh, batchnorm, or a max-pool of ReLUs) take the dense
  // product; the share of the map's nonzeros stands in for the im2col rows' (padding aside)
  int dense = 10.0f * nonzero_share(x, job->rows * o->in_size) > 9.0f;
  if (keeps_rows(job, o, i)) job->keep_ptr[i][0] = -1;
  if (!dense && keeps_rows(job, o, i)) gemm_rows(o, 0, n, x, job->keep_ptr[i], job->keep_idx[i], job->keep_val[i]);
  int block = o->kind == OP_DENSE ? n : CONV_BLOCK;
  for (int g0 = 0; g0 < n; g0 += block) {
    int g1 = g0 + block < n ? g0 + block : n;
    float *out = y + g0 * o->ocs;
    if (dense && o->kind == OP_DENSE) {
      gemm_packed(g1 - g0, o->K, x, o->in_size, o->Wp, out, o->ocs, o->ocs, bias);
    } else if (dense) {
      im2col(o, g0, g1, x, job->dcol);
      gemm_packed(g1 - g0, o->K, job->dcol, o->K, o->Wp, out, o->ocs, o->ocs, bias);
    } else if (keeps_rows(job, o, i)) {
      const int32_t *ptr = job->keep_ptr[i] + g0;  // row offsets into the kept rows' entries
      spmm_packed(g1 - g0, ptr, job->keep_idx[i], job->keep_val[i], o->Wp, o->K, out, o->ocs, o->ocs, bias);
    } else {
      gemm_rows(o, g0, g1, x, job->csr_ptr, job->csr_idx, job->csr_val);
      spmm_packed(g1 - g0, job->csr_ptr, job->csr_idx, job->csr_val, o->Wp, o->K, out, o->ocs, o->ocs, bias);
    }
    // the activation while the block is still in cache (forward() leaves Dense and Conv2D to this)
    activate(o->act, out, g1 - g0, o->oc, o->ocs);
  }
}

// Adds im2col rows' gradients (output pixels [g0, g1), K floats each) back into the input map's gradient.
static void col2im(const Op *o, int g0, int g1, const float *dcol, float *dx) {
  int cs = o->cs;
  for (int g = g0; g < g1; g++) {
    PIXEL_OF(o, g, s, oy, ox);
    const float *d = dcol + (g - g0) * o->K;
    float *xs = dx + s * o->in_size;
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

// Kernel gradient from delta's nonzeros: GT (ocs x K, the transpose) += D[g, f] * (the input under
// output pixel g's taps), for a Conv2D whose input channel stride is a multiple of 4. `nz` is
// scratch for one row's nonzero columns.
static void conv_kernel_grad(const Op *o, int n, const float *x, const float *D, float *GT, int32_t *nz) {
  int cs = o->cs, ocs = o->ocs, K = o->K;
  for (int k = 0; k < ocs * K; k++) GT[k] = 0;
  for (int g = 0; g < n; g++) {
    const float *d = D + g * ocs;
    int count = 0;
    for (int f = 0; f < ocs; f += 4) {
      int mask = wasm_i32x4_bitmask(wasm_f32x4_ne(wasm_v128_load(d + f), wasm_f32x4_splat(0)));
      while (mask) {
        nz[count++] = f + __builtin_ctz(mask);
        mask &= mask - 1;
      }
    }
    if (!count) continue;
    PIXEL_OF(o, g, s, oy, ox);
    const float *xs = x + s * o->in_size;
    FOR_WINDOW(o, oy, ox) {
      const float *p = xs + (iy * o->w + ix) * cs;
      int base = (ky * o->kw + kx) * cs;
      for (int c0 = 0; c0 < cs; c0 += 32) {
        int width = cs - c0 < 32 ? cs - c0 : 32;
        if (width == 32) {
          v128_t v0 = wasm_v128_load(p + c0), v1 = wasm_v128_load(p + c0 + 4), v2 = wasm_v128_load(p + c0 + 8), v3 = wasm_v128_load(p + c0 + 12);
          v128_t v4 = wasm_v128_load(p + c0 + 16), v5 = wasm_v128_load(p + c0 + 20), v6 = wasm_v128_load(p + c0 + 24), v7 = wasm_v128_load(p + c0 + 28);
          for (int i = 0; i < count; i++) {
            v128_t a = wasm_f32x4_splat(d[nz[i]]);
            float *t = GT + nz[i] * K + base + c0;
            wasm_v128_store(t, MADD(a, v0, wasm_v128_load(t)));
            wasm_v128_store(t + 4, MADD(a, v1, wasm_v128_load(t + 4)));
            wasm_v128_store(t + 8, MADD(a, v2, wasm_v128_load(t + 8)));
            wasm_v128_store(t + 12, MADD(a, v3, wasm_v128_load(t + 12)));
            wasm_v128_store(t + 16, MADD(a, v4, wasm_v128_load(t + 16)));
            wasm_v128_store(t + 20, MADD(a, v5, wasm_v128_load(t + 20)));
            wasm_v128_store(t + 24, MADD(a, v6, wasm_v128_load(t + 24)));
            wasm_v128_store(t + 28, MADD(a, v7, wasm_v128_load(t + 28)));
          }
        } else {
          for (int i = 0; i < count; i++) {
            v128_t a = wasm_f32x4_splat(d[nz[i]]);
            float *t = GT + nz[i] * K + base + c0;
            for (int q = 0; q < width; q += 4) wasm_v128_store(t + q, MADD(a, wasm_v128_load(p + c0 + q), wasm_v128_load(t + q)));
          }
        }
      }
    }
  }
}

// D: dLoss/d(output), y: the output (for the activation's derivative, applied here).
static void gemm_backward(ProgramJob *job, int i, const float *x, const float *y, float *D, float *dx) {
  const Op *o = &job->prog->op[i];
  float *G = job->G;
  int ocs = o->ocs, K = o->K, n = gemm_pixels(job, o);
  // the activation's derivative and the bias gradient (column sums) in one pass, a block at a time
  for (int k = 0; k < ocs; k++) G[o->b + k] = 0;
  for (int g0 = 0; g0 < n; g0 += CONV_BLOCK) {
    int g1 = g0 + CONV_BLOCK < n ? g0 + CONV_BLOCK : n;
    activate_backward(o->act, y + g0 * ocs, D + g0 * ocs, (g1 - g0) * ocs);
    for (int k = 0; k < ocs; k += 4) {
      v128_t s = wasm_f32x4_splat(0);
      for (int r = g0; r < g1; r++) s = wasm_f32x4_add(s, wasm_v128_load(D + r * ocs + k));
      wasm_v128_store(G + o->b + k, wasm_f32x4_add(wasm_v128_load(G + o->b + k), s));
    }
  }
  if (o->kind == OP_CONV && o->cs % 4 == 0) {
    conv_kernel_grad(o, n, x, D, job->dcol, job->t_idx);
    for (int k = 0; k < K; k++)
      for (int f = 0; f < ocs; f++) G[o->W + k * ocs + f] = job->dcol[f * K + k];
  } else {
    int32_t *ptr = job->csr_ptr, *idx = job->csr_idx;
    float *val = job->csr_val;
    if (keeps_rows(job, o, i)) {
      ptr = job->keep_ptr[i], idx = job->keep_idx[i], val = job->keep_val[i];
      if (ptr[0] < 0) gemm_rows(o, 0, n, x, ptr, idx, val);  // the forward pass took the dense product
    } else {
      gemm_rows(o, 0, n, x, ptr, idx, val);
    }
    csr_transpose(n, K, ptr, idx, val, job->t_ptr, job->t_idx, job->t_val, job->t_count);
    spmm(K, job->t_ptr, job->t_idx, job->t_val, D, ocs, G + o->W, ocs, ocs, 0);
  }
  if (!o->need_dx) return;
  if (o->kind == OP_DENSE) {
    dense_to_csr(n, ocs, D, ocs, job->csr_ptr, job->csr_idx, job->csr_val);
    spmm_packed(n, job->csr_ptr, job->csr_idx, job->csr_val, o->WTp, ocs, dx, o->in_size, K, 0);
    return;
  }
  for (int k = 0; k < job->rows * o->in_size; k++) dx[k] = 0;
  for (int g0 = 0; g0 < n; g0 += CONV_BLOCK) {
    int g1 = g0 + CONV_BLOCK < n ? g0 + CONV_BLOCK : n;
    dense_to_csr(g1 - g0, ocs, D + g0 * ocs, ocs, job->csr_ptr, job->csr_idx, job->csr_val);
    spmm_packed(g1 - g0, job->csr_ptr, job->csr_idx, job->csr_val, o->WTp, ocs, job->dcol, K, K, 0);
    col2im(o, g0, g1, job->dcol, dx);
  }
}
