// Shared by the engine programs: dropout masks from a hash of (seed, layer, position, unit).
#pragma once
#include "simd.h"


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
