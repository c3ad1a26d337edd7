// The structs of a compiled program (src/engine/program/ fills them in; layout.ts mirrors them and
// layout.test.ts checks the offsets against clang's). Every field is 4 bytes.
#pragma once
#include <stdint.h>

#define MAXOPS 32

// One op per layer (Flatten and a Reshape that keeps the layout compile to nothing).
enum {
  OP_DENSE = 0,      // a GEMM over a 1x1 map: in_size inputs -> ocs outputs
  OP_CONV = 1,       // Conv2D: kh x kw window, strides sh x sw, padding pt/pl (top/left)
  OP_MAXPOOL = 2,    // MaxPooling2D, argmax kept for the backward pass
  OP_AVGPOOL = 3,    // AveragePooling2D (padding excluded from the count, as TensorFlow)
  OP_BATCHNORM = 4,  // BatchNormalization over the last axis
  OP_DROPOUT = 5,    // inverted dropout, masks drawn from (seed, op, position, unit)
  OP_ACTIVATION = 6, // an activation on its own
  OP_REPACK = 7,     // a Reshape that moves elements: from groups of c (stride cs) to groups of oc (stride ocs)
};

// What follows an op's output (ACT_SOFTMAX: the last op only, with the cross-entropy).
enum { ACT_RELU = 0, ACT_LINEAR = 1, ACT_SIGMOID = 2, ACT_TANH = 3, ACT_SOFTMAX = 4 };

typedef struct {
  int32_t kind;              // OP_*
  int32_t act;               // ACT_* applied to the output (dense, conv, batchnorm, activation)
  int32_t in_size;           // floats per sample of the input (a multiple of 4, padding included)
  int32_t out_size;          // floats per sample of the output
  int32_t h, w, c, cs;       // input map (NHWC): height, width, real channels, channel stride
  int32_t oh, ow, oc, ocs;   // output map likewise
  int32_t kh, kw, sh, sw;    // window and strides (conv, pooling)
  int32_t pt, pl;            // padding before the first row and column
  int32_t K;                 // rows of the kernel: kh * kw * cs rounded up to a multiple of 4
  int32_t W, b;              // float offsets of the kernel (K x ocs) and bias (ocs) in the parameters;
                             // batchnorm: gamma and beta (cs each)
  float *Wp;                 // the kernel packed in 32-column panels (spmm.h), and its transpose
  float *WTp;                //   (when the input gradient is needed)
  int32_t mean, var;         // batchnorm: float offsets of the moving statistics in `stats`
  uint32_t drop_threshold;   // dropout: drop when hash >> 8 < threshold
  float drop_scale;          // 1 / (1 - rate)
  float eps, momentum;       // batchnorm
  int32_t need_dx;           // 0 when no op before this one has parameters: no input gradient
  int32_t count;             // repack: real elements per sample
} Op;

// Runs the statement after it for each tap (ky, kx) of op o's window at output pixel (oy, ox)
// that falls inside the input map, with (iy, ix) the input pixel under it.
#define FOR_WINDOW(o, oy, ox)                                                                         \
  for (int ky = 0; ky < (o)->kh; ky++)                                                                \
    for (int kx = 0, iy = (oy) * (o)->sh - (o)->pt + ky; kx < (o)->kw && iy >= 0 && iy < (o)->h; kx++) \
      for (int ix = (ox) * (o)->sw - (o)->pl + kx, once = 1; once && ix >= 0 && ix < (o)->w; once = 0)

typedef struct {
  int32_t ops;
  int32_t classes;           // real outputs of the last op (its act is ACT_SOFTMAX)
  float *P;                  // the trainable parameters (all ops'), at the offsets the ops give
  float *stats;              // batchnorm moving statistics
  const Op *op;              // ops[ops]
} Program;

typedef struct {
  const Program *prog;
  const uint8_t *images;     // uint8 pixels, `pixels` per sample (training / evaluation input)
  const float *fimages;      // or float inputs, `pixels` per sample (prediction)
  const uint8_t *labels;     // one label per sample, or 0
  const uint32_t *order;     // sample index per position, or 0 (positions are sample indices)
  int32_t pixels;
  int32_t first;             // first position of this thread's rows
  int32_t rows;              // how many rows
  int32_t batch;             // samples in the whole batch (the loss is their mean)
  int32_t training;          // 1: dropout, batch statistics and the backward pass
  uint32_t seed;             // dropout seed of this batch
  float *act[MAXOPS + 1];    // act[0]: the input (rows x op[0].in_size); act[i + 1]: op i's output
  float *delta[MAXOPS + 1];  // dLoss/d act[i], same shapes (delta[0] unused)
  float *aux[MAXOPS];        // maxpool: argmax offsets (int32); batchnorm: x-hat
  float *bn[MAXOPS];         // batchnorm: the batch's mean, 1/stddev, and whole-batch dbeta, dgamma (cs each)
  int32_t *keep_ptr[MAXOPS]; // a Conv2D on 1-3 channels (training): its im2col rows, kept from the
  int32_t *keep_idx[MAXOPS]; //   forward pass for the kernel gradient (keep_ptr[0] = -1: not built)
  float *keep_val[MAXOPS];
  int32_t *csr_ptr;          // scratch: the sparse rows of a product's left operand
  int32_t *csr_idx;
  float *csr_val;
  int32_t *t_ptr;            // scratch: their transpose
  int32_t *t_idx;
  float *t_val;
  int32_t *t_count;
  float *dcol;               // scratch: a convolution's input gradient before col2im
  float *G;                  // this thread's gradients, laid out as the parameters
  float *probs;              // optional: rows x classes probabilities out
  int32_t shard;             // this job's shard of the batch, of `shards` (all run at once: see batchnorm)
  int32_t shards;
  int32_t *sync;             // shared by the shards: a barrier's count and generation
  float *partial;            // shared by the shards: [shard][3][channels] partial sums of a batchnorm
  int32_t partial_stride;    // floats per shard in `partial`
  float loss;                // out: summed loss of the rows
  int32_t correct;           // out: rows whose argmax is the label
} ProgramJob;

typedef struct {
  const Program *prog;
  int32_t threads;
  float *G0;                 // thread 0's gradients; thread t's are t * grad_stride floats further
  int32_t grad_stride;
  float *M;                  // the optimizer's first state slot for every parameter, then the second
  float *V;
  int32_t part;              // this thread's share of every parameter's rows
  int32_t parts;
  // an OptStep (optimizer.h)
  int32_t kind;
  int32_t nesterov;
  float lr, beta1, beta2, eps;
  float one_minus_beta1, one_minus_beta2;
  float one_minus_acc_beta1, one_minus_acc_beta2;
} ProgramUpdate;
