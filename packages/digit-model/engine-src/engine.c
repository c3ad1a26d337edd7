// The digits CPU engine: training kernels for an MLP of Dense layers (ReLU, sigmoid, tanh or
// linear, each optionally followed by Dropout) with a softmax classifier, categorical
// cross-entropy and Adam, SGD, Momentum or RMSprop, as WebAssembly SIMD128.
//
// Every matrix product is one kernel, `spmm`: C = A x B where A's rows are sparse lists of
// (index, value). Inputs are mostly zero (81% of MNIST pixels; about half of the hidden units after
// ReLU and dropout), so the forward pass, the weight gradients (A^T x delta, with A^T built by a
// counting sort) and the backward pass (delta x W^T, with W^T kept up to date by the optimizer) only touch
// nonzero entries. Threads split each batch's samples; each writes its own gradient buffer, and
// the optimizer sums them over its share of the parameters.
//
// Layout: every layer's width is padded to a multiple of 4 floats ("stride"); padded weights,
// activations and gradients stay exactly zero. All structs hold 4-byte fields only, mirrored by
// src/engine/layout.ts.

#include <stdint.h>
#include <wasm_simd128.h>

#define MAXL 8

// acc + a * b. The relaxed build (build.sh, -mrelaxed-simd) fuses it into one f32x4.relaxed_madd
// (clang 14 only knows the prototype's name for it, `fma`; build.sh rewrites the opcode); that
// rounds once instead of twice, so the two builds agree to float32 rounding, not bitwise.
#ifdef __wasm_relaxed_simd__
#define MADD(a, b, acc) __builtin_wasm_fma_f32x4((a), (b), (acc))
#else
#define MADD(a, b, acc) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif

typedef struct {
  int32_t layers;            // number of Dense layers; the last one is the softmax classifier
  int32_t classes;           // real units of the last layer
  int32_t in_dim[MAXL];      // rows of W[l]: the input size (784) for l = 0, stride[l-1] after
  int32_t stride[MAXL];      // padded units of layer l (columns of W[l])
  int32_t ld[MAXL];          // row pitch of W[l], its gradients and moments, and of layer l's activations
  uint32_t drop_threshold[MAXL]; // dropout after hidden layer l: drop when hash >> 8 < threshold (0: none)
  float drop_scale[MAXL];    // 1 / (1 - rate)
  float *W[MAXL];            // in_dim[l] x stride[l], row-major with pitch ld[l] (padded so that rows
                             // do not all map to the same cache sets)
  float *b[MAXL];            // stride[l]
  float *Wp[MAXL];           // W[l] packed in panels of 32 columns (see `panel`), for the products
  float *WTp[MAXL];          // W[l]^T (stride[l] x in_dim[l]) packed the same way (kept for l >= 1)
  int32_t activation[MAXL];  // ACT_* of hidden layer l (the last layer is the softmax)
  int32_t units[MAXL];       // real units of layer l (columns from there to stride[l] are padding)
} Net;

enum { ACT_RELU = 0, ACT_LINEAR = 1, ACT_SIGMOID = 2, ACT_TANH = 3 };

typedef struct {
  const Net *net;
  const uint8_t *images;     // uint8 pixels, `pixels` per sample (training / evaluation input)
  const float *fimages;      // or float inputs, `pixels` per sample (prediction)
  const uint8_t *labels;     // one label per sample, or 0
  const uint32_t *order;     // sample index per position, or 0 (positions are sample indices)
  int32_t pixels;
  int32_t first;             // first position of this thread's rows
  int32_t rows;              // how many rows
  int32_t batch;             // samples in the whole batch (the loss is their mean)
  int32_t training;          // 1: dropout and backward pass
  uint32_t seed;             // dropout seed of this batch
  float *act[MAXL];          // rows x stride[l]: layer outputs (after ReLU/dropout; probabilities last)
  float *delta[MAXL];        // rows x stride[l]: dLoss/dZ
  int32_t *csr_ptr[MAXL];    // sparse rows of each layer's input
  int32_t *csr_idx[MAXL];
  float *csr_val[MAXL];
  int32_t *t_ptr;            // scratch: sparse transposes and sparse deltas
  int32_t *t_idx;
  float *t_val;
  int32_t *t_count;
  float *gW[MAXL];           // this thread's gradients
  float *gb[MAXL];
  float *probs;              // optional: rows x classes probabilities out
  float loss;                // out: summed loss of the rows
  int32_t correct;           // out: rows whose argmax is the label
} Job;

// The optimizers, as tfjs implements them (so that state saved by either trainer resumes in the other).
enum { OPT_ADAM = 0, OPT_SGD = 1, OPT_MOMENTUM = 2, OPT_RMSPROP = 3 };

typedef struct {
  const Net *net;
  int32_t threads;
  float *gW0[MAXL];          // thread 0's gradient buffers; thread t's are at + t * grad_stride floats
  float *gb0[MAXL];
  int32_t grad_stride;       // floats between consecutive threads' gradient buffers
  float *mW[MAXL];           // the optimizer's first state slot: Adam m, Momentum's accumulation, RMSprop's mean square
  float *mb[MAXL];
  float *vW[MAXL];           // the second: Adam v, RMSprop's moment (unused by SGD and Momentum)
  float *vb[MAXL];
  int32_t part;              // this thread's share: rows [r0, r1) of every W and b elements accordingly
  int32_t parts;
  int32_t kind;              // OPT_*
  int32_t nesterov;          // Momentum: Nesterov's update
  float lr, beta1, beta2, eps; // Adam's; Momentum: beta1 = momentum; RMSprop: beta1 = decay, beta2 = momentum
  float one_minus_beta1, one_minus_beta2; // 1 - beta1 (RMSprop: 1 - decay), 1 - beta2, as tfjs rounds them
  float one_minus_acc_beta1, one_minus_acc_beta2;
} UpdateJob;

// ---- scalar math (no libc) -------------------------------------------------------------------

static inline float bits_to_float(uint32_t u) { union { uint32_t u; float f; } x = { u }; return x.f; }
static inline uint32_t float_to_bits(float f) { union { float f; uint32_t u; } x = { f }; return x.u; }

static float exp_f(float x) {
  if (x < -87.33654f) return 0.0f;
  if (x > 88.72283f) x = 88.72283f;
  float k = __builtin_nearbyintf(x * 1.44269504f);
  float r = x - k * 0.693145752f - k * 1.42860677e-06f;
  float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f + r * (0.00833333377f + r * 0.00138888892f)))));
  int32_t e = (int32_t)k;
  // 2^k in two steps so that k = 128 (x near 88.7) does not overflow the exponent field
  float half = bits_to_float((uint32_t)(127 + e / 2) << 23);
  return p * half * bits_to_float((uint32_t)(127 + e - e / 2) << 23);
}

static float log_f(float x) {
  uint32_t u = float_to_bits(x);
  int32_t e = (int32_t)((u >> 23) & 0xff) - 127;
  float m = bits_to_float((u & 0x007fffff) | 0x3f800000);  // [1, 2)
  if (m > 1.41421356f) { m *= 0.5f; e += 1; }
  float f = m - 1.0f;
  float s = f / (2.0f + f);
  float s2 = s * s;
  float t = s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9 + s2 * (1.0f / 11)))));
  return (float)e * 0.693147181f + 2.0f * s * (1.0f + t);
}

// ---- the one matrix kernel ---------------------------------------------------------------------

// C[r, 0:4NV] = init[0:4NV] (or 0) + sum over p in ptr[r]..ptr[r+1] of val[p] * B[idx[p], 0:4NV]
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
SPMM_BLOCK(8)
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
    if (w == 32) { spmm_block8(rows, ptr, idx, val, B, 32, C + j, ldc, init ? init + j : 0); continue; }
    if (q + 16 <= w) { spmm_block4(rows, ptr, idx, val, B + q, w, C + j + q, ldc, init ? init + j + q : 0); q += 16; }
    if (q + 8 <= w) { spmm_block2(rows, ptr, idx, val, B + q, w, C + j + q, ldc, init ? init + j + q : 0); q += 8; }
    if (q + 4 <= w) { spmm_block1(rows, ptr, idx, val, B + q, w, C + j + q, ldc, init ? init + j + q : 0); q += 4; }
  }
}

// ncols is a multiple of 4; column blocks outermost so that B's block stays in cache over the rows
static void spmm(int rows, const int32_t *ptr, const int32_t *idx, const float *val, const float *B, int ldb,
                 float *C, int ldc, int ncols, const float *init) {
  int j = 0;
  for (; j + 32 <= ncols; j += 32) spmm_block8(rows, ptr, idx, val, B + j, ldb, C + j, ldc, init ? init + j : 0);
  if (j + 16 <= ncols) { spmm_block4(rows, ptr, idx, val, B + j, ldb, C + j, ldc, init ? init + j : 0); j += 16; }
  if (j + 8 <= ncols) { spmm_block2(rows, ptr, idx, val, B + j, ldb, C + j, ldc, init ? init + j : 0); j += 8; }
  if (j + 4 <= ncols) { spmm_block1(rows, ptr, idx, val, B + j, ldb, C + j, ldc, init ? init + j : 0); j += 4; }
}

// ---- sparse structure helpers -----------------------------------------------------------------

// Nonzeros of a dense rows x n matrix (row stride ld) as sparse rows.
static void dense_to_csr(int rows, int n, const float *A, int ld, int32_t *ptr, int32_t *idx, float *val) {
  int nnz = 0;
  for (int r = 0; r < rows; r++) {
    ptr[r] = nnz;
    const float *a = A + r * ld;
    for (int k = 0; k < n; k += 4) {
      v128_t v = wasm_v128_load(a + k);
      int mask = wasm_i32x4_bitmask(wasm_f32x4_ne(v, wasm_f32x4_splat(0)));
      while (mask) {
        int q = __builtin_ctz(mask);
        mask &= mask - 1;
        idx[nnz] = k + q;
        val[nnz] = a[k + q];
        nnz++;
      }
    }
  }
  ptr[rows] = nnz;
}

static void bytes_to_csr(const Job *job, int32_t *ptr, int32_t *idx, float *val) {
  int nnz = 0, n = job->pixels;
  for (int r = 0; r < job->rows; r++) {
    ptr[r] = nnz;
    int pos = job->first + r;
    int sample = job->order ? (int)job->order[pos] : pos;
    if (job->fimages) {
      const float *a = job->fimages + (long)sample * n;
      for (int k = 0; k < n; k++) if (a[k] != 0.0f) { idx[nnz] = k; val[nnz] = a[k]; nnz++; }
    } else {
      const uint8_t *a = job->images + (long)sample * n;
      int k = 0;
      for (; k + 16 <= n; k += 16) {
        int mask = wasm_i8x16_bitmask(wasm_i8x16_ne(wasm_v128_load(a + k), wasm_i8x16_splat(0)));
        while (mask) {
          int q = __builtin_ctz(mask);
          mask &= mask - 1;
          idx[nnz] = k + q;
          val[nnz] = (float)a[k + q] / 255.0f;
          nnz++;
        }
      }
      for (; k < n; k++) if (a[k]) { idx[nnz] = k; val[nnz] = (float)a[k] / 255.0f; nnz++; }
    }
  }
  ptr[job->rows] = nnz;
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

// ---- forward pieces ---------------------------------------------------------------------------

static inline v128_t hash4(v128_t x) {
  x = wasm_v128_xor(x, wasm_u32x4_shr(x, 16));
  x = wasm_i32x4_mul(x, wasm_i32x4_splat(0x7feb352d));
  x = wasm_v128_xor(x, wasm_u32x4_shr(x, 15));
  x = wasm_i32x4_mul(x, wasm_i32x4_splat((int32_t)0x846ca68b));
  return wasm_v128_xor(x, wasm_u32x4_shr(x, 16));
}

static inline uint32_t hash1(uint32_t x) {
  x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16;
  return x;
}

// Dropout's keep mask depends only on (seed, layer, position in the epoch, unit), so that it does
// not depend on how many threads share the batch: lanes k..k+3 of the row at `pos`, all ones where
// kept.
static inline uint32_t dropout_row_seed(uint32_t seed, int pos, int l) {
  return hash1(seed ^ hash1((uint32_t)pos * 0x9e3779b9u + (uint32_t)l * 0x85ebca6bu));
}

static inline v128_t dropout_keep4(uint32_t rowseed, int k, uint32_t threshold) {
  v128_t lanes = wasm_i32x4_add(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat(k));
  v128_t h = hash4(wasm_i32x4_add(wasm_i32x4_splat((int32_t)rowseed), wasm_i32x4_mul(lanes, wasm_i32x4_splat((int32_t)0x9e3779b1))));
  return wasm_i32x4_ge(wasm_u32x4_shr(h, 8), wasm_i32x4_splat((int32_t)threshold));
}

// ReLU, then dropout (kept units scaled by 1 / (1 - rate)).
static void relu_dropout(const Job *job, int l, float *Z) {
  const Net *net = job->net;
  int n = net->stride[l], pitch = net->ld[l];
  uint32_t threshold = job->training ? net->drop_threshold[l] : 0;
  v128_t zero = wasm_f32x4_splat(0);
  v128_t scale = wasm_f32x4_splat(net->drop_scale[l]);
  for (int r = 0; r < job->rows; r++) {
    float *z = Z + r * pitch;
    if (!threshold) {
      for (int k = 0; k < n; k += 4) wasm_v128_store(z + k, wasm_f32x4_max(wasm_v128_load(z + k), zero));
      continue;
    }
    uint32_t rowseed = dropout_row_seed(job->seed, job->first + r, l);
    for (int k = 0; k < n; k += 4) {
      v128_t v = wasm_f32x4_mul(wasm_f32x4_max(wasm_v128_load(z + k), zero), scale);
      wasm_v128_store(z + k, wasm_v128_and(v, dropout_keep4(rowseed, k, threshold)));
    }
  }
}

// The factors dropout multiplies layer l's outputs by in training (0 or 1 / (1 - rate)), for the
// rows at positions [first, first + rows) of a batch trained with `seed`: rows x stride[l] floats
// (pitch stride[l]) into out. So that tests can apply the very mask the engine drew.
__attribute__((export_name("dropout_factors"))) void dropout_factors(const Net *net, int l, uint32_t seed, int first, int rows, float *out) {
  int n = net->stride[l];
  uint32_t threshold = net->drop_threshold[l];
  v128_t scale = wasm_f32x4_splat(threshold ? net->drop_scale[l] : 1.0f);
  for (int r = 0; r < rows; r++) {
    uint32_t rowseed = dropout_row_seed(seed, first + r, l);
    for (int k = 0; k < n; k += 4) {
      v128_t keep = threshold ? dropout_keep4(rowseed, k, threshold) : wasm_i32x4_splat(-1);
      wasm_v128_store(out + r * n + k, wasm_v128_and(scale, keep));
    }
  }
}

static inline float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }
// Near 0 its Taylor series (to x^9: relative error < 1e-8 below 0.25, where 1 - 2 / (e^2x + 1)
// would lose the low bits); beyond, that formula, with exact limits at both ends.
static inline float tanh_f(float x) {
  if (x > -0.25f && x < 0.25f) {
    float x2 = x * x;
    return x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835)))));
  }
  return 1.0f - 2.0f / (exp_f(2.0f * x) + 1.0f);
}

// Layer l's activation, then dropout. ReLU keeps its own loop (most networks; padding stays 0
// by itself); the others are computed per element and padding is set back to 0 (sigmoid(0) is not).
static void activate_dropout(const Job *job, int l, float *Z) {
  const Net *net = job->net;
  int act = net->activation[l];
  if (act == ACT_RELU) {
    relu_dropout(job, l, Z);
    return;
  }
  int n = net->stride[l], pitch = net->ld[l], units = net->units[l];
  uint32_t threshold = job->training ? net->drop_threshold[l] : 0;
  v128_t scale = wasm_f32x4_splat(net->drop_scale[l]);
  for (int r = 0; r < job->rows; r++) {
    float *z = Z + r * pitch;
    for (int k = 0; k < n; k++) {
      float x = z[k];
      z[k] = k >= units ? 0.0f : act == ACT_SIGMOID ? sigmoid_f(x) : act == ACT_TANH ? tanh_f(x) : x;
    }
    if (!threshold) continue;
    uint32_t rowseed = dropout_row_seed(job->seed, job->first + r, l);
    for (int k = 0; k < n; k += 4) {
      v128_t v = wasm_f32x4_mul(wasm_v128_load(z + k), scale);
      wasm_v128_store(z + k, wasm_v128_and(v, dropout_keep4(rowseed, k, threshold)));
    }
  }
}

// Softmax over the classes, the cross-entropy of the labels (Keras clips probabilities to
// [1e-7, 1 - 1e-7]), and delta = (p - onehot) / batch, zero where the clip cuts the gradient.
static void softmax_xent(Job *job, int l) {
  const Net *net = job->net;
  int n = net->stride[l], pitch = net->ld[l], c = net->classes;
  float *Z = job->act[l];
  float *D = job->delta[l];
  float loss = 0;
  int correct = 0;
  const float eps = 1e-7f;
  float inv_batch = 1.0f / (float)job->batch;
  for (int r = 0; r < job->rows; r++) {
    float *z = Z + r * pitch;
    float mx = z[0];
    int arg = 0;
    for (int k = 1; k < c; k++) if (z[k] > mx) { mx = z[k]; arg = k; }
    float sum = 0;
    for (int k = 0; k < c; k++) { z[k] = exp_f(z[k] - mx); sum += z[k]; }
    for (int k = 0; k < c; k++) z[k] = z[k] / sum;
    if (job->probs) for (int k = 0; k < c; k++) job->probs[(job->first + r) * c + k] = z[k];
    if (!job->labels) continue;
    int pos = job->first + r;
    int label = job->labels[job->order ? (int)job->order[pos] : pos];
    correct += arg == label;
    float pt = z[label];
    float clipped = pt < eps ? eps : (pt > 1.0f - eps ? 1.0f - eps : pt);
    loss -= log_f(clipped);
    if (job->training) {
      float *d = D + r * pitch;
      int live = pt >= eps && pt <= 1.0f - eps;
      for (int k = 0; k < n; k++) d[k] = 0;
      if (live) {
        for (int k = 0; k < c; k++) d[k] = z[k] * inv_batch;
        d[label] = (z[label] - 1.0f) * inv_batch;
      }
    }
  }
  job->loss = loss;
  job->correct = correct;
}

static void forward(Job *job) {
  const Net *net = job->net;
  int L = net->layers;
  bytes_to_csr(job, job->csr_ptr[0], job->csr_idx[0], job->csr_val[0]);
  for (int l = 0; l < L; l++) {
    if (l > 0) dense_to_csr(job->rows, net->stride[l - 1], job->act[l - 1], net->ld[l - 1], job->csr_ptr[l], job->csr_idx[l], job->csr_val[l]);
    spmm_packed(job->rows, job->csr_ptr[l], job->csr_idx[l], job->csr_val[l], net->Wp[l], net->in_dim[l], job->act[l], net->ld[l], net->stride[l], net->b[l]);
    if (l < L - 1) activate_dropout(job, l, job->act[l]);
  }
  softmax_xent(job, L - 1);
}

// ---- backward ---------------------------------------------------------------------------------

static void backward(Job *job) {
  const Net *net = job->net;
  int L = net->layers, rows = job->rows;
  for (int l = L - 1; l >= 0; l--) {
    int n = net->stride[l], pitch = net->ld[l], in = net->in_dim[l];
    float *D = job->delta[l];
    // bias gradient: column sums
    for (int k = 0; k < n; k += 4) {
      v128_t s = wasm_f32x4_splat(0);
      for (int r = 0; r < rows; r++) s = wasm_f32x4_add(s, wasm_v128_load(D + r * pitch + k));
      wasm_v128_store(job->gb[l] + k, s);
    }
    // weight gradient: input^T x delta
    csr_transpose(rows, in, job->csr_ptr[l], job->csr_idx[l], job->csr_val[l], job->t_ptr, job->t_idx, job->t_val, job->t_count);
    spmm(in, job->t_ptr, job->t_idx, job->t_val, D, pitch, job->gW[l], pitch, n, 0);
    if (l == 0) break;
    // delta of the layer below: (delta x W^T) times that layer's activation derivative and dropout factor
    int m = net->stride[l - 1], mpitch = net->ld[l - 1];
    dense_to_csr(rows, n, D, pitch, job->t_ptr, job->t_idx, job->t_val);
    float *Dn = job->delta[l - 1];
    spmm_packed(rows, job->t_ptr, job->t_idx, job->t_val, net->WTp[l], n, Dn, mpitch, m, 0);
    const float *A = job->act[l - 1];
    v128_t scale = wasm_f32x4_splat(net->drop_scale[l - 1]);
    v128_t zero = wasm_f32x4_splat(0);
    int act = net->activation[l - 1];
    if (act == ACT_RELU) {
      // positive output: kept by dropout and above zero
      for (int r = 0; r < rows; r++) {
        for (int k = r * mpitch; k < r * mpitch + m; k += 4) {
          v128_t live = wasm_f32x4_gt(wasm_v128_load(A + k), zero);
          wasm_v128_store(Dn + k, wasm_v128_and(wasm_f32x4_mul(wasm_v128_load(Dn + k), scale), live));
        }
      }
      continue;
    }
    // the others' derivatives from their output y (the stored output divided by the dropout
    // scale), and dropout's mask drawn again (an output may be 0 without being dropped)
    uint32_t threshold = net->drop_threshold[l - 1];
    v128_t unscale = wasm_f32x4_splat(threshold ? 1.0f / net->drop_scale[l - 1] : 1.0f);
    v128_t one = wasm_f32x4_splat(1.0f);
    for (int r = 0; r < rows; r++) {
      uint32_t rowseed = dropout_row_seed(job->seed, job->first + r, l - 1);
      for (int k = 0; k < m; k += 4) {
        float *dn = Dn + r * mpitch + k;
        v128_t y = wasm_f32x4_mul(wasm_v128_load(A + r * mpitch + k), unscale);
        v128_t deriv = act == ACT_SIGMOID ? wasm_f32x4_mul(y, wasm_f32x4_sub(one, y))
                     : act == ACT_TANH    ? wasm_f32x4_sub(one, wasm_f32x4_mul(y, y))
                                          : one;
        v128_t d = wasm_f32x4_mul(wasm_v128_load(dn), deriv);
        if (threshold) d = wasm_v128_and(wasm_f32x4_mul(d, scale), dropout_keep4(rowseed, k, threshold));
        wasm_v128_store(dn, d);
      }
    }
  }
}

__attribute__((export_name("run_job"))) void run_job(Job *job) {
  forward(job);
  if (job->training) backward(job);
}

// ---- optimizers -------------------------------------------------------------------------------

static inline v128_t summed_gradient(const UpdateJob *a, const float *g0, int i) {
  v128_t g = wasm_v128_load(g0 + i);
  for (int t = 1; t < a->threads; t++) g = wasm_f32x4_add(g, wasm_v128_load(g0 + t * a->grad_stride + i));
  return g;
}

// One step of the optimizer over `count` parameters w with state s1, s2 and gradient (summed over
// the threads' buffers) g0, operation by operation as tfjs computes it:
// Adam: m = m*b1 + g*(1-b1); v = v*b2 + g*g*(1-b2); w -= lr * m^ / (sqrt(v^) + eps) with
//   m^ = m/(1-b1^t), v^ = v/(1-b2^t) (the two bias corrections as multiplications by reciprocals).
// SGD: w = -lr*g + w.
// Momentum: acc = mu*acc + g; w = -lr*acc + w, or with Nesterov w = -lr*(g + acc*mu) + w.
// RMSprop: ms = ms*rho + g*g*(1-rho); mom = mom*mu + g*lr / sqrt(ms + eps); w = w - mom.
static void update_range(const UpdateJob *a, float *w, float *s1, float *s2, const float *g0, int count) {
  v128_t b1 = wasm_f32x4_splat(a->beta1), b2 = wasm_f32x4_splat(a->beta2);
  v128_t c1 = wasm_f32x4_splat(a->one_minus_beta1), c2 = wasm_f32x4_splat(a->one_minus_beta2);
  v128_t eps = wasm_f32x4_splat(a->eps), lr = wasm_f32x4_splat(a->lr), nlr = wasm_f32x4_splat(-a->lr);
  if (a->kind == OPT_ADAM) {
    v128_t d1 = wasm_f32x4_splat(1.0f / a->one_minus_acc_beta1), d2 = wasm_f32x4_splat(1.0f / a->one_minus_acc_beta2);
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(a, g0, i);
      v128_t mm = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(s1 + i), b1), wasm_f32x4_mul(g, c1));
      v128_t vv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(s2 + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(g, g), c2));
      wasm_v128_store(s1 + i, mm);
      wasm_v128_store(s2 + i, vv);
      v128_t step = wasm_f32x4_div(wasm_f32x4_mul(mm, d1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vv, d2)), eps));
      wasm_v128_store(w + i, wasm_f32x4_add(wasm_f32x4_mul(step, nlr), wasm_v128_load(w + i)));
    }
  } else if (a->kind == OPT_SGD) {
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(a, g0, i);
      wasm_v128_store(w + i, wasm_f32x4_add(wasm_f32x4_mul(nlr, g), wasm_v128_load(w + i)));
    }
  } else if (a->kind == OPT_MOMENTUM) {
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(a, g0, i);
      v128_t acc = wasm_f32x4_add(wasm_f32x4_mul(b1, wasm_v128_load(s1 + i)), g);
      wasm_v128_store(s1 + i, acc);
      v128_t step = a->nesterov ? wasm_f32x4_add(g, wasm_f32x4_mul(acc, b1)) : acc;
      wasm_v128_store(w + i, wasm_f32x4_add(wasm_f32x4_mul(nlr, step), wasm_v128_load(w + i)));
    }
  } else {
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(a, g0, i);
      v128_t ms = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(s1 + i), b1), wasm_f32x4_mul(wasm_f32x4_mul(g, g), c1));
      v128_t step = wasm_f32x4_div(wasm_f32x4_mul(g, lr), wasm_f32x4_sqrt(wasm_f32x4_add(ms, eps)));
      v128_t mom = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(s2 + i), b2), step);
      wasm_v128_store(s1 + i, ms);
      wasm_v128_store(s2 + i, mom);
      wasm_v128_store(w + i, wasm_f32x4_sub(wasm_v128_load(w + i), mom));
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

__attribute__((export_name("run_update"))) void run_update(const UpdateJob *a) {
  const Net *net = a->net;
  for (int l = 0; l < net->layers; l++) {
    int n = net->stride[l], ld = net->ld[l], in = net->in_dim[l];
    // rows split in multiples of 4 (the 4x4 transposes); the last share takes any remainder
    int r0 = in / 4 * a->part / a->parts * 4, r1 = a->part + 1 == a->parts ? in : in / 4 * (a->part + 1) / a->parts * 4;
    update_range(a, net->W[l] + r0 * ld, a->mW[l] + r0 * ld, a->vW[l] + r0 * ld, a->gW0[l] + r0 * ld, (r1 - r0) * ld);
    pack_rows(net->W[l], n, ld, in, r0, r1, net->Wp[l], l > 0 ? net->WTp[l] : 0);
    int c0 = (n / 4) * a->part / a->parts * 4, c1 = (n / 4) * (a->part + 1) / a->parts * 4;
    update_range(a, net->b[l] + c0, a->mb[l] + c0, a->vb[l] + c0, a->gb0[l] + c0, c1 - c0);
  }
}

// Rebuilds the packed W and W^T from W (after weights were loaded).
__attribute__((export_name("pack_weights"))) void pack_weights(const Net *net) {
  for (int l = 0; l < net->layers; l++)
    pack_rows(net->W[l], net->stride[l], net->ld[l], net->in_dim[l], 0, net->in_dim[l], net->Wp[l], l > 0 ? net->WTp[l] : 0);
}
