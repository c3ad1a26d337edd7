// Shared by the engine programs: the fused multiply-add and scalar math without libc.
#pragma once
#include <stdint.h>
#include <wasm_simd128.h>

// acc + a * b. The relaxed build (build.sh, -mrelaxed-simd) fuses it into one f32x4.relaxed_madd
// (clang 14 only knows the prototype's name for it, `fma`; build.sh rewrites the opcode); that
// rounds once instead of twice, so the two builds agree to float32 rounding, not bitwise.
#ifdef __wasm_relaxed_simd__
#define MADD(a, b, acc) __builtin_wasm_fma_f32x4((a), (b), (acc))
#else
#define MADD(a, b, acc) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif

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
  // NaN stays NaN (the bit tricks below would turn it into a finite number: a diverged run must
  // not report a loss as if it were right); the loss only takes logs of clipped probabilities
  if (!(x > 0.0f)) return x == 0.0f ? -__builtin_inff() : __builtin_nanf("");
  if (x == __builtin_inff()) return x;
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
