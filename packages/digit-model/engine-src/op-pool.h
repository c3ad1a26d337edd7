// MaxPooling2D (the argmax of each window kept for the backward pass: the first maximum in window
// order, as tfjs) and AveragePooling2D (the mean of the window's pixels inside the map).
#pragma once
#include "program.h"
#include "simd.h"

static void maxpool_forward(const Op *o, int rows, const float *x, float *y, int32_t *arg) {
  int cs = o->cs;
  for (int s = 0; s < rows; s++) {
    const float *xs = x + s * o->in_size;
    float *ys = y + s * o->out_size;
    int32_t *as = arg + s * o->out_size;
    for (int oy = 0; oy < o->oh; oy++) {
      for (int ox = 0; ox < o->ow; ox++) {
        int out = (oy * o->ow + ox) * cs;
        for (int k = 0; k < cs; k += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff()), at = wasm_i32x4_splat(-1);
          FOR_WINDOW(o, oy, ox) {
            int in = (iy * o->w + ix) * cs + k;
            v128_t v = wasm_v128_load(xs + in);
            v128_t gt = wasm_f32x4_gt(v, best);
            best = wasm_v128_bitselect(v, best, gt);
            at = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(in), wasm_i32x4_make(0, 1, 2, 3)), at, gt);
          }
          wasm_v128_store(ys + out + k, best);
          wasm_v128_store(as + out + k, at);
        }
      }
    }
  }
}

static void maxpool_backward(const Op *o, int rows, const float *D, const int32_t *arg, float *dx) {
  for (int k = 0; k < rows * o->in_size; k++) dx[k] = 0;
  int n = o->oh * o->ow * o->cs;
  for (int s = 0; s < rows; s++) {
    const float *d = D + s * o->out_size;
    const int32_t *a = arg + s * o->out_size;
    float *xs = dx + s * o->in_size;
    for (int k = 0; k < n; k++) if (d[k] != 0.0f) xs[a[k]] += d[k];
  }
}

// Pixels of the window at (oy, ox) inside the map.
static inline int window_count(const Op *o, int oy, int ox) {
  int y0 = oy * o->sh - o->pt, x0 = ox * o->sw - o->pl;
  int y1 = y0 + o->kh, x1 = x0 + o->kw;
  if (y0 < 0) y0 = 0;
  if (x0 < 0) x0 = 0;
  if (y1 > o->h) y1 = o->h;
  if (x1 > o->w) x1 = o->w;
  return (y1 - y0) * (x1 - x0);
}

// forward (backward = 0): y = mean of the window; backward: dx += D / count over the window
static void avgpool(const Op *o, int rows, const float *src, float *dst, int backward) {
  int cs = o->cs;
  if (backward) for (int k = 0; k < rows * o->in_size; k++) dst[k] = 0;
  for (int s = 0; s < rows; s++) {
    const float *xs = src + s * (backward ? o->out_size : o->in_size);
    float *ys = dst + s * (backward ? o->in_size : o->out_size);
    for (int oy = 0; oy < o->oh; oy++) {
      for (int ox = 0; ox < o->ow; ox++) {
        int out = (oy * o->ow + ox) * cs;
        v128_t inv = wasm_f32x4_splat(1.0f / (float)window_count(o, oy, ox));
        for (int k = 0; k < cs; k += 4) {
          v128_t acc = wasm_f32x4_splat(0), g = backward ? wasm_f32x4_mul(wasm_v128_load(xs + out + k), inv) : acc;
          FOR_WINDOW(o, oy, ox) {
            int in = (iy * o->w + ix) * cs + k;
            if (backward) wasm_v128_store(ys + in, wasm_f32x4_add(wasm_v128_load(ys + in), g));
            else acc = wasm_f32x4_add(acc, wasm_v128_load(xs + in));
          }
          if (!backward) wasm_v128_store(ys + out + k, wasm_f32x4_mul(acc, inv));
        }
      }
    }
  }
}
