// Shared by the engine programs: one optimizer step over a range of parameters, operation by
// operation as tfjs computes it (so that state saved by either trainer resumes in the other).
#pragma once
#include "simd.h"

enum { OPT_ADAM = 0, OPT_SGD = 1, OPT_MOMENTUM = 2, OPT_RMSPROP = 3 };

// The hyper-parameters of a step. Both programs' UpdateJob structs end in these fields, in this
// order, so a pointer to `kind` in either is a pointer to an OptStep.
typedef struct {
  int32_t kind;              // OPT_*
  int32_t nesterov;          // Momentum: Nesterov's update
  float lr, beta1, beta2, eps; // Adam's; Momentum: beta1 = momentum; RMSprop: beta1 = decay, beta2 = momentum
  float one_minus_beta1, one_minus_beta2; // 1 - beta1 (RMSprop: 1 - decay), 1 - beta2, as tfjs rounds them
  float one_minus_acc_beta1, one_minus_acc_beta2;
} OptStep;

// x with subnormal lanes (below float32's smallest normal, 1.2e-38) set to 0; an integer test, so
// that subnormals are never an operand of the arithmetic. The optimizer's state and gradients are
// flushed as they are read: an Adam m whose gradient stopped (a rarely inked pixel's weights)
// decays by beta1 each step into the subnormals and stays there (0.9 x the smallest subnormal
// rounds back to it), and x86 cores take a microcode assist of ~100 cycles for every operation on
// one; by the fifth MNIST epoch that made the step half as slow again. TensorFlow's CPU kernels run
// with flush-to-zero for the same reason; a subnormal m moves no weight above 1e-30 anyway.
static inline v128_t flush_subnormal(v128_t x) {
  v128_t exponent = wasm_v128_and(x, wasm_i32x4_splat(0x7f800000));
  return wasm_v128_and(x, wasm_i32x4_ne(exponent, wasm_i32x4_splat(0)));
}
static inline v128_t load_flushed(const float *p) { return flush_subnormal(wasm_v128_load(p)); }

// The gradient at i summed over `threads` buffers `stride` floats apart.
static inline v128_t summed_gradient(int threads, int stride, const float *g0, int i) {
  v128_t g = wasm_v128_load(g0 + i);
  for (int t = 1; t < threads; t++) g = wasm_f32x4_add(g, wasm_v128_load(g0 + t * stride + i));
  return flush_subnormal(g);
}

// One step of the optimizer over `count` parameters w (a multiple of 4) with state s1, s2 and
// gradient (summed over the threads' buffers) g0:
// Adam: m = m*b1 + g*(1-b1); v = v*b2 + g*g*(1-b2); w -= lr * m^ / (sqrt(v^) + eps) with
//   m^ = m/(1-b1^t), v^ = v/(1-b2^t) (the two bias corrections as multiplications by reciprocals).
// SGD: w = -lr*g + w.
// Momentum: acc = mu*acc + g; w = -lr*acc + w, or with Nesterov w = -lr*(g + acc*mu) + w.
// RMSprop: ms = ms*rho + g*g*(1-rho); mom = mom*mu + g*lr / sqrt(ms + eps); w = w - mom.
static void update_range(const OptStep *a, int threads, int stride, float *w, float *s1, float *s2, const float *g0, int count) {
  v128_t b1 = wasm_f32x4_splat(a->beta1), b2 = wasm_f32x4_splat(a->beta2);
  v128_t c1 = wasm_f32x4_splat(a->one_minus_beta1), c2 = wasm_f32x4_splat(a->one_minus_beta2);
  v128_t eps = wasm_f32x4_splat(a->eps), lr = wasm_f32x4_splat(a->lr), nlr = wasm_f32x4_splat(-a->lr);
  if (a->kind == OPT_ADAM) {
    v128_t d1 = wasm_f32x4_splat(1.0f / a->one_minus_acc_beta1), d2 = wasm_f32x4_splat(1.0f / a->one_minus_acc_beta2);
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(threads, stride, g0, i);
      v128_t mm = wasm_f32x4_add(wasm_f32x4_mul(load_flushed(s1 + i), b1), wasm_f32x4_mul(g, c1));
      v128_t vv = wasm_f32x4_add(wasm_f32x4_mul(load_flushed(s2 + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(g, g), c2));
      wasm_v128_store(s1 + i, mm);
      wasm_v128_store(s2 + i, vv);
      v128_t step = wasm_f32x4_div(wasm_f32x4_mul(mm, d1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vv, d2)), eps));
      wasm_v128_store(w + i, wasm_f32x4_add(wasm_f32x4_mul(step, nlr), wasm_v128_load(w + i)));
    }
  } else if (a->kind == OPT_SGD) {
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(threads, stride, g0, i);
      wasm_v128_store(w + i, wasm_f32x4_add(wasm_f32x4_mul(nlr, g), wasm_v128_load(w + i)));
    }
  } else if (a->kind == OPT_MOMENTUM) {
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(threads, stride, g0, i);
      v128_t acc = wasm_f32x4_add(wasm_f32x4_mul(b1, load_flushed(s1 + i)), g);
      wasm_v128_store(s1 + i, acc);
      v128_t step = a->nesterov ? wasm_f32x4_add(g, wasm_f32x4_mul(acc, b1)) : acc;
      wasm_v128_store(w + i, wasm_f32x4_add(wasm_f32x4_mul(nlr, step), wasm_v128_load(w + i)));
    }
  } else {
    for (int i = 0; i < count; i += 4) {
      v128_t g = summed_gradient(threads, stride, g0, i);
      v128_t ms = wasm_f32x4_add(wasm_f32x4_mul(load_flushed(s1 + i), b1), wasm_f32x4_mul(wasm_f32x4_mul(g, g), c1));
      v128_t step = wasm_f32x4_div(wasm_f32x4_mul(g, lr), wasm_f32x4_sqrt(wasm_f32x4_add(ms, eps)));
      v128_t mom = wasm_f32x4_add(wasm_f32x4_mul(load_flushed(s2 + i), b2), step);
      wasm_v128_store(s1 + i, ms);
      wasm_v128_store(s2 + i, mom);
      wasm_v128_store(w + i, wasm_f32x4_sub(wasm_v128_load(w + i), mom));
    }
  }
}
