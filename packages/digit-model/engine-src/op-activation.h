// Activations of an op's output and their derivatives, for maps of `pixels` pixels of `c` real
// channels at stride `cs` (the padding channels stay exactly 0: sigmoid(0) is not).
#pragma once
#include "program.h"
#include "simd.h"

static void activate(int act, float *y, int pixels, int c, int cs) {
  if (act == ACT_LINEAR || act == ACT_SOFTMAX) return;
  int n = pixels * cs;
  if (act == ACT_RELU) {
    v128_t zero = wasm_f32x4_splat(0);
    if (cs % 4 == 0) {
      for (int k = 0; k < n; k += 4) wasm_v128_store(y + k, wasm_f32x4_max(wasm_v128_load(y + k), zero));
    } else {
      for (int k = 0; k < n; k++) y[k] = y[k] > 0 ? y[k] : 0;
    }
    return;
  }
  for (int p = 0; p < pixels; p++) {
    float *z = y + p * cs;
    for (int k = 0; k < cs; k++) z[k] = k >= c ? 0.0f : act == ACT_SIGMOID ? sigmoid_f(z[k]) : tanh_f(z[k]);
  }
}

// d *= act'(.) from the output y (n floats).
static void activate_backward(int act, const float *y, float *d, int n) {
  if (act == ACT_LINEAR || act == ACT_SOFTMAX) return;
  int k = 0;
  v128_t zero = wasm_f32x4_splat(0), one = wasm_f32x4_splat(1.0f);
  for (; k + 4 <= n; k += 4) {
    v128_t v = wasm_v128_load(y + k), g = wasm_v128_load(d + k);
    if (act == ACT_RELU) g = wasm_v128_and(g, wasm_f32x4_gt(v, zero));
    else if (act == ACT_SIGMOID) g = wasm_f32x4_mul(g, wasm_f32x4_mul(v, wasm_f32x4_sub(one, v)));
    else g = wasm_f32x4_mul(g, wasm_f32x4_sub(one, wasm_f32x4_mul(v, v)));
    wasm_v128_store(d + k, g);
  }
  for (; k < n; k++) {
    float v = y[k];
    d[k] *= act == ACT_RELU ? (v > 0 ? 1.0f : 0.0f) : act == ACT_SIGMOID ? v * (1.0f - v) : 1.0f - v * v;
  }
}
