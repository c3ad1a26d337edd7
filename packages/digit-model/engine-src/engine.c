// The digits CPU engine: training kernels for an MLP of Dense layers (ReLU, sigmoid, tanh or
// linear, each optionally followed by Dropout) with a softmax classifier, categorical
// cross-entropy and Adam, SGD, Momentum or RMSprop, as WebAssembly SIMD128.
//
// Every matrix product is one kernel, `spmm`: C = A x B where A's rows are sparse lists of
// (index, value). Inputs are mostly zero (81% of MNIST pixels; about half of the hidden units after
// ReLU and dropout), so the forward pass, the weight gradients (A^T x delta, with A^T built by a
// counting sort) and the backward pass (delta x W^T, with W^T kept up to date by the optimizer) only touch
// nonzero entries. A batch runs in two steps, each split over the threads: `run_job` takes a share
// of the batch's samples (forward pass, deltas, and each layer's input transposed), then
// `run_update` a share of the parameters: it sums each weight row's gradient over the whole batch
// (every shard's deltas, rows in batch order) and steps the optimizer on it at once. No gradient
// is ever written out whole, and the sums do not depend on how many shards the batch had.
//
// Layout: every layer's width is padded to a multiple of 4 floats ("stride"); padded weights,
// activations and gradients stay exactly zero. All structs hold 4-byte fields only, mirrored by
// src/engine/layout.ts.

#include "simd.h"
#include "spmm.h"
#include "dropout.h"
#include "optimizer.h"
#include "loss.h"

#define MAXL 8

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
  int32_t *tr_ptr[MAXL];     // each layer's input transposed (in_dim[l] sparse rows over this shard's
  int32_t *tr_idx[MAXL];     // rows), for run_update's weight gradients
  float *tr_val[MAXL];
  float *probs;              // optional: rows x classes probabilities out
  float loss;                // out: summed loss of the rows
  int32_t correct;           // out: rows whose argmax is the label
} Job;


typedef struct {
  const Net *net;
  const Job *const *jobs;    // every shard's Job, in batch order: their deltas and transposed inputs
  int32_t shards;
  float *scratch;            // group x max stride floats: the gradient rows being stepped
  int32_t group;             // gradient rows summed and stepped together: few enough that they and
                             // the deltas' column block stay in the first-level cache
  float *mW[MAXL];           // the optimizer's first state slot: Adam m, Momentum's accumulation, RMSprop's mean square
  float *mb[MAXL];
  float *vW[MAXL];           // the second: Adam v, RMSprop's moment (unused by SGD and Momentum)
  float *vb[MAXL];
  int32_t part;              // this thread's share of every layer's rows of W (see `row_share`) and of b
  int32_t parts;
  int32_t kind;              // OPT_*
  int32_t nesterov;          // Momentum: Nesterov's update
  float lr, beta1, beta2, eps; // Adam's; Momentum: beta1 = momentum; RMSprop: beta1 = decay, beta2 = momentum
  float one_minus_beta1, one_minus_beta2; // 1 - beta1 (RMSprop: 1 - decay), 1 - beta2, as tfjs rounds them
  float one_minus_acc_beta1, one_minus_acc_beta2;
} UpdateJob;

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

static void forward(Job *job) {
  const Net *net = job->net;
  int L = net->layers;
  bytes_to_csr(job, job->csr_ptr[0], job->csr_idx[0], job->csr_val[0]);
  for (int l = 0; l < L; l++) {
    if (l > 0) dense_to_csr(job->rows, net->stride[l - 1], job->act[l - 1], net->ld[l - 1], job->csr_ptr[l], job->csr_idx[l], job->csr_val[l]);
    spmm_packed(job->rows, job->csr_ptr[l], job->csr_idx[l], job->csr_val[l], net->Wp[l], net->in_dim[l], job->act[l], net->ld[l], net->stride[l], net->b[l]);
    if (l < L - 1) activate_dropout(job, l, job->act[l]);
  }
  int last = L - 1;
  softmax_xent(job->rows, job->first, job->batch, job->training, job->labels, job->order, job->probs, job->act[last],
               job->delta[last], net->ld[last], net->stride[last], net->classes, &job->loss, &job->correct);
}

// ---- backward ---------------------------------------------------------------------------------

static void backward(Job *job) {
  const Net *net = job->net;
  int L = net->layers, rows = job->rows;
  for (int l = L - 1; l >= 0; l--) {
    int n = net->stride[l], pitch = net->ld[l], in = net->in_dim[l];
    float *D = job->delta[l];
    // the weight gradient (input^T x delta, summed over the whole batch) is run_update's; it
    // reads this shard's input transposed
    csr_transpose(rows, in, job->csr_ptr[l], job->csr_idx[l], job->csr_val[l], job->tr_ptr[l], job->tr_idx[l], job->tr_val[l], job->t_count);
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

// ---- the optimizer step ----------------------------------------------------------------------

// out[g * n + j .. + 4NV] = the gradient of W[l] rows k0 + g (g < count), columns j .. j + 4NV:
// sum over the shards in order, and over each one's rows in order, of input[r, k] * delta[r, j..].
// Four vectors at a time, as SPMM_BLOCK (spmm.h) and for the same reason.
#define GRAD_BLOCK(NV)                                                                                 \
  static void grad_block##NV(const UpdateJob *a, int l, int k0, int count, int j, float *out, int n) { \
    int pitch = a->net->ld[l];                                                                         \
    for (int g = 0; g < count; g++) {                                                                  \
      v128_t acc[NV];                                                                                  \
      for (int q = 0; q < NV; q++) acc[q] = wasm_f32x4_splat(0);                                       \
      for (int s = 0; s < a->shards; s++) {                                                            \
        const Job *J = a->jobs[s];                                                                     \
        const int32_t *idx = J->tr_idx[l];                                                             \
        const float *val = J->tr_val[l], *D = J->delta[l] + j;                                         \
        for (int p = J->tr_ptr[l][k0 + g], end = J->tr_ptr[l][k0 + g + 1]; p < end; p++) {           \
          v128_t v = wasm_f32x4_splat(val[p]);                                                         \
          const float *d = D + idx[p] * pitch;                                                         \
          for (int q = 0; q < NV; q++) acc[q] = MADD(v, wasm_v128_load(d + 4 * q), acc[q]);          \
        }                                                                                              \
      }                                                                                                \
      for (int q = 0; q < NV; q++) wasm_v128_store(out + g * n + j + 4 * q, acc[q]);                   \
    }                                                                                                  \
  }
GRAD_BLOCK(4)
GRAD_BLOCK(1)

// Work of W[l]'s row k in a step: its gradient's multiply-adds (one per nonzero input in the
// batch, n wide) and the optimizer's (about as much as ROW_COST nonzeros).
#define ROW_COST 8
static int row_cost(const UpdateJob *a, int l, int k) {
  int c = ROW_COST;
  for (int s = 0; s < a->shards; s++) c += a->jobs[s]->tr_ptr[l][k + 1] - a->jobs[s]->tr_ptr[l][k];
  return c;
}

// Rows [*r0, *r1) of W[l] for share `part`: the rows split so that each share costs about the
// same (inputs are far from uniform: MNIST's border pixels are never ink), at multiples of 4
// (pack_rows' 4x4 transposes), the last share taking any remainder. Every thread computes the same
// split from the same counts.
static void row_share(const UpdateJob *a, int l, int *r0, int *r1) {
  int in = a->net->in_dim[l];
  long total = 0;
  for (int k = 0; k < in; k++) total += row_cost(a, l, k);
  long start = total * a->part / a->parts, end = total * (a->part + 1) / a->parts, sum = 0;
  *r0 = a->part == 0 ? 0 : -1;
  *r1 = a->part + 1 == a->parts ? in : -1;
  int k = 0;
  for (; k + 4 <= in && (*r0 < 0 || *r1 < 0); k += 4) {
    long group = 0;
    for (int i = 0; i < 4; i++) group += row_cost(a, l, k + i);
    if (*r0 < 0 && sum + group / 2 > start) *r0 = k;
    if (*r1 < 0 && sum + group / 2 > end) *r1 = k;
    sum += group;
  }
  if (*r0 < 0) *r0 = k;
  if (*r1 < 0) *r1 = k;
}

__attribute__((export_name("run_update"))) void run_update(const UpdateJob *a) {
  const Net *net = a->net;
  const OptStep *step = (const OptStep *)&a->kind;
  float *g = a->scratch;
  for (int l = 0; l < net->layers; l++) {
    int n = net->stride[l], ld = net->ld[l], in = net->in_dim[l];
    int r0, r1;
    row_share(a, l, &r0, &r1);
    for (int k = r0; k < r1; k += a->group) {
      int count = r1 - k < a->group ? r1 - k : a->group;
      int j = 0;
      for (; j + 16 <= n; j += 16) grad_block4(a, l, k, count, j, g, n);
      for (; j < n; j += 4) grad_block1(a, l, k, count, j, g, n);
      for (int i = 0; i < count; i++) {
        long at = (long)(k + i) * ld;
        update_range(step, 1, 0, net->W[l] + at, a->mW[l] + at, a->vW[l] + at, g + i * n, n);
      }
      pack_rows(net->W[l], n, ld, in, k, k + count, net->Wp[l], l > 0 ? net->WTp[l] : 0);
    }
    // the bias: column sums of the deltas, the share's columns
    int c0 = (n / 4) * a->part / a->parts * 4, c1 = (n / 4) * (a->part + 1) / a->parts * 4;
    for (int c = c0; c < c1; c += 4) {
      v128_t sum = wasm_f32x4_splat(0);
      for (int s = 0; s < a->shards; s++) {
        const Job *J = a->jobs[s];
        for (int r = 0; r < J->rows; r++) sum = wasm_f32x4_add(sum, wasm_v128_load(J->delta[l] + r * ld + c));
      }
      wasm_v128_store(g + c - c0, sum);
    }
    update_range(step, 1, 0, net->b[l] + c0, a->mb[l] + c0, a->vb[l] + c0, g, c1 - c0);
  }
}

// Rebuilds the packed W and W^T from W (after weights were loaded).
__attribute__((export_name("pack_weights"))) void pack_weights(const Net *net) {
  for (int l = 0; l < net->layers; l++)
    pack_rows(net->W[l], net->stride[l], net->ld[l], net->in_dim[l], 0, net->in_dim[l], net->Wp[l], l > 0 ? net->WTp[l] : 0);
}
