// The dense register-blocked product, for left operands that are mostly nonzero (the program
// engine's Dense and Conv2D after sigmoid, tanh or batchnorm).
#pragma once
#include "spmm.h"

// C[r, 0:4NV] = init + sum over k < K of A[r, k] * B[k, 0:4NV] for rows r0..r0+R (R <= 3 rows at a
// time, so that 3 x NV accumulators and NV panel vectors fit the registers): each panel row loaded
// once serves three rows of A.
#define GEMM_BLOCK(NV)                                                                                  \
  static void gemm_block##NV(int rows, int K, const float *A, int lda, const float *B, int ldb,        \
                             float *C, int ldc, const float *init) {                                    \
    int r = 0;                                                                                          \
    for (; r + 3 <= rows; r += 3) {                                                                     \
      v128_t a0[NV], a1[NV], a2[NV];                                                                    \
      for (int q = 0; q < NV; q++) a0[q] = a1[q] = a2[q] = init ? wasm_v128_load(init + 4 * q) : wasm_f32x4_splat(0); \
      const float *x0 = A + r * lda, *x1 = x0 + lda, *x2 = x1 + lda;                                    \
      for (int k = 0; k < K; k++) {                                                                     \
        v128_t s0 = wasm_f32x4_splat(x0[k]), s1 = wasm_f32x4_splat(x1[k]), s2 = wasm_f32x4_splat(x2[k]); \
        const float *b = B + k * ldb;                                                                   \
        for (int q = 0; q < NV; q++) {                                                                  \
          v128_t v = wasm_v128_load(b + 4 * q);                                                         \
          a0[q] = MADD(s0, v, a0[q]);                                                                   \
          a1[q] = MADD(s1, v, a1[q]);                                                                   \
          a2[q] = MADD(s2, v, a2[q]);                                                                   \
        }                                                                                               \
      }                                                                                                 \
      for (int q = 0; q < NV; q++) {                                                                    \
        wasm_v128_store(C + r * ldc + 4 * q, a0[q]);                                                    \
        wasm_v128_store(C + (r + 1) * ldc + 4 * q, a1[q]);                                              \
        wasm_v128_store(C + (r + 2) * ldc + 4 * q, a2[q]);                                              \
      }                                                                                                 \
    }                                                                                                   \
    for (; r < rows; r++) {                                                                             \
      v128_t a0[NV];                                                                                    \
      for (int q = 0; q < NV; q++) a0[q] = init ? wasm_v128_load(init + 4 * q) : wasm_f32x4_splat(0);  \
      const float *x0 = A + r * lda;                                                                    \
      for (int k = 0; k < K; k++) {                                                                     \
        v128_t s0 = wasm_f32x4_splat(x0[k]);                                                            \
        const float *b = B + k * ldb;                                                                   \
        for (int q = 0; q < NV; q++) a0[q] = MADD(s0, wasm_v128_load(b + 4 * q), a0[q]);               \
      }                                                                                                 \
      for (int q = 0; q < NV; q++) wasm_v128_store(C + r * ldc + 4 * q, a0[q]);                         \
    }                                                                                                   \
  }
GEMM_BLOCK(4)
GEMM_BLOCK(2)
GEMM_BLOCK(1)

// C = A x B + init for a dense A (rows x K, pitch lda) and B packed in panels of K rows (as
// spmm_packed), 16 columns at a time; ncols is a multiple of 4.
static void gemm_packed(int rows, int K, const float *A, int lda, const float *Bp, float *C, int ldc, int ncols, const float *init) {
  for (int j = 0; j < ncols; j += 32) {
    int w = panel_width(ncols, j), q = 0;
    const float *B = Bp + j * K;
    for (; q + 16 <= w; q += 16) gemm_block4(rows, K, A, lda, B + q, w, C + j + q, ldc, init ? init + j + q : 0);
    if (q + 8 <= w) { gemm_block2(rows, K, A, lda, B + q, w, C + j + q, ldc, init ? init + j + q : 0); q += 8; }
    if (q + 4 <= w) { gemm_block1(rows, K, A, lda, B + q, w, C + j + q, ldc, init ? init + j + q : 0); q += 4; }
  }
}
