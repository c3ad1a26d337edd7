// Shared by the engine programs: the sparse-row matrix product and the sparse structures it reads.
#pragma once
#include "simd.h"

// ---- the one matrix kernel ---------------------------------------------------------------------

// C[r, 0:4NV] = init[0:4NV] (or 0) + sum over p in ptr[r]..ptr[r+1] of val[p] * B[idx[p], 0:4NV].
// At most 4 vectors (16 columns) at a time: V8 (x64) hoists a block's loads above its multiply-adds,
// so 8 accumulators plus 8 loaded vectors need more than its 15 SIMD registers, and the spill it
// made (an accumulator kept on the stack) put a store-to-load round trip into every step of the
// inner loop. Two passes of 4 vectors over a 32-column panel are 7-10% faster than one of 8.
#define SPMM_BLOCK(NV)                                                                                 \
  static void spmm_block##NV(int rows, const int32_t *ptr, const int32_t *idx, const float *val,       \
                             const float *B, int ldb, float *C, int ldc, const float *init) {         \
    for (int r = 0; r < rows; r++) {                                                                   \
      v128_t acc[NV];                                                                                  \
      for (int q = 0; q < NV; q++) acc[q] = init ? wasm_v128_load(init + 4 * q) : wasm_f32x4_splat(0); \
      int p = ptr[r], end = ptr[r + 1];                                                                \
      for (; p < end; p++) {                                                                           \
        v128_t a = wasm_f32x4_splat(val[p]);                                                           \
        const float *b = B + idx[p] * ldb;                                                             \
        for (int q = 0; q < NV; q++) acc[q] = MADD(a, wasm_v128_load(b + 4 * q), acc[q]);            \
      }                                                                                                \
      for (int q = 0; q < NV; q++) wasm_v128_store(C + r * ldc + 4 * q, acc[q]);                       \
    }                                                                                                  \
  }
SPMM_BLOCK(4)
SPMM_BLOCK(2)
SPMM_BLOCK(1)

// A matrix with K rows "packed in panels": columns [32p, 32p + 32) are stored contiguously as K rows
// of min(32, ncols - 32p) floats starting at 32p * K, so that a panel streams through the caches
// (row-major rows of a power-of-two width would all land in the same cache sets).
static inline int panel_width(int ncols, int j) { return ncols - j < 32 ? ncols - j : 32; }

// C = A x B with B packed in panels of K rows; ncols is a multiple of 4
static void spmm_packed(int rows, const int32_t *ptr, const int32_t *idx, const float *val, const float *Bp, int K,
                        float *C, int ldc, int ncols, const float *init) {
  for (int j = 0; j < ncols; j += 32) {
    int w = panel_width(ncols, j), q = 0;
    const float *B = Bp + j * K;
    for (; q + 16 <= w; q += 16) spmm_block4(rows, ptr, idx, val, B + q, w, C + j + q, ldc, init ? init + j + q : 0);
    if (q + 8 <= w) { spmm_block2(rows, ptr, idx, val, B + q, w, C + j + q, ldc, init ? init + j + q : 0); q += 8; }
    if (q + 4 <= w) { spmm_block1(rows, ptr, idx, val, B + q, w, C + j + q, ldc, init ? init + j + q : 0); q += 4; }
  }
}

// ncols is a multiple of 4; column blocks outermost so that B's block stays in cache over the rows
static inline void spmm(int rows, const int32_t *ptr, const int32_t *idx, const float *val, const float *B, int ldb,
                 float *C, int ldc, int ncols, const float *init) {
  int j = 0;
  for (; j + 16 <= ncols; j += 16) spmm_block4(rows, ptr, idx, val, B + j, ldb, C + j, ldc, init ? init + j : 0);
  if (j + 8 <= ncols) { spmm_block2(rows, ptr, idx, val, B + j, ldb, C + j, ldc, init ? init + j : 0); j += 8; }
  if (j + 4 <= ncols) { spmm_block1(rows, ptr, idx, val, B + j, ldb, C + j, ldc, init ? init + j : 0); j += 4; }
}

// ---- sparse structure helpers -----------------------------------------------------------------

// Appends the nonzero lanes of v (columns base..base+3) to a sparse row at nnz; returns the new
// count. Branch-free past the all-zero test: every lane is written at nnz and nnz moves only past
// the nonzero ones (a zero lane's write is overwritten by the next one, or lands one past the
// end, which is within the row's room since nnz never passes the entries scanned). A loop over the
// mask's set bits mispredicted about one branch in two on hidden units and im2col rows.
static inline int append_nonzeros4(v128_t v, int base, int32_t *idx, float *val, int nnz) {
  int mask = wasm_i32x4_bitmask(wasm_f32x4_ne(v, wasm_f32x4_splat(0)));
  if (!mask) return nnz;
  idx[nnz] = base;
  val[nnz] = wasm_f32x4_extract_lane(v, 0);
  nnz += mask & 1;
  idx[nnz] = base + 1;
  val[nnz] = wasm_f32x4_extract_lane(v, 1);
  nnz += (mask >> 1) & 1;
  idx[nnz] = base + 2;
  val[nnz] = wasm_f32x4_extract_lane(v, 2);
  nnz += (mask >> 2) & 1;
  idx[nnz] = base + 3;
  val[nnz] = wasm_f32x4_extract_lane(v, 3);
  return nnz + ((mask >> 3) & 1);
}

// Nonzeros of a dense rows x n matrix (row stride ld) as sparse rows.
static void dense_to_csr(int rows, int n, const float *A, int ld, int32_t *ptr, int32_t *idx, float *val) {
  int nnz = 0;
  for (int r = 0; r < rows; r++) {
    ptr[r] = nnz;
    const float *a = A + r * ld;
    for (int k = 0; k < n; k += 4) nnz = append_nonzeros4(wasm_v128_load(a + k), k, idx, val, nnz);
  }
  ptr[rows] = nnz;
}

// Transposes sparse rows (rows x n) into sparse rows of the transpose (n x rows).
static void csr_transpose(int rows, int n, const int32_t *ptr, const int32_t *idx, const float *val,
                          int32_t *tptr, int32_t *tidx, float *tval, int32_t *count) {
  for (int k = 0; k <= n; k++) count[k] = 0;
  int nnz = ptr[rows];
  for (int p = 0; p < nnz; p++) count[idx[p] + 1]++;
  for (int k = 0; k < n; k++) count[k + 1] += count[k];
  for (int k = 0; k <= n; k++) tptr[k] = count[k];
  for (int r = 0; r < rows; r++) {
    for (int p = ptr[r]; p < ptr[r + 1]; p++) {
      int q = count[idx[p]]++;
      tidx[q] = r;
      tval[q] = val[p];
    }
  }
}

// Rows [r0, r1) of W (in x n, pitch ld): into Wp (packed, in rows) and, when WTp is given, into
// WTp = W^T (n x in, packed, n rows) in 4x4 blocks. r0 is a multiple of 4.
static void pack_rows(const float *W, int n, int ld, int in, int r0, int r1, float *Wp, float *WTp) {
  for (int k = r0; k < r1; k++)
    for (int j = 0; j < n; j += 4) wasm_v128_store(Wp + (j - j % 32) * in + k * panel_width(n, j - j % 32) + j % 32, wasm_v128_load(W + k * ld + j));
  if (!WTp) return;
  int k = r0;
  for (; k + 4 <= r1; k += 4) {
    const float *w = W + k * ld;
    float *o = WTp + (k - k % 32) * n + k % 32;  // column k of W^T lives in panel k / 32
    int pw = panel_width(in, k - k % 32);
    for (int j = 0; j < n; j += 4) {
      v128_t a = wasm_v128_load(w + j), b = wasm_v128_load(w + ld + j);
      v128_t c = wasm_v128_load(w + 2 * ld + j), d = wasm_v128_load(w + 3 * ld + j);
      v128_t t0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
      v128_t t2 = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
      float *row = o + j * pw;
      wasm_v128_store(row, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
      wasm_v128_store(row + pw, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
      wasm_v128_store(row + 2 * pw, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
      wasm_v128_store(row + 3 * pw, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
    }
  }
  for (; k < r1; k++) {
    float *o = WTp + (k - k % 32) * n + k % 32;
    int pw = panel_width(in, k - k % 32);
    for (int j = 0; j < n; j++) o[j * pw] = W[k * ld + j];
  }
}

