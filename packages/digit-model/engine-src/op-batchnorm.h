// BatchNormalization over the last axis. Training: the batch's mean and (biased) variance per
// channel over every sample and pixel, x-hat kept for the backward pass, and the moving statistics
// updated as tfjs does (moving -= (moving - batch) * (1 - momentum)); inference: the moving
// statistics. The statistics are over the whole batch, so in training the shards meet at a barrier:
// each writes its partial sums, then every shard adds all of them up in shard order (the same
// result on each, whatever ran first). Shards therefore run at the same time in training
// (src/engine/program/engine.ts never runs them one after another then).
#pragma once
#include "program.h"
#include "simd.h"

// Waits until every shard got here (a counter and a generation in shared memory; spins, so it
// works on a browser's main thread too). One shard: nothing to wait for.
static void barrier(const ProgramJob *job) {
  if (job->shards <= 1) return;
  int32_t generation = __atomic_load_n(&job->sync[1], __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(&job->sync[0], 1, __ATOMIC_ACQ_REL) == job->shards) {
    __atomic_store_n(&job->sync[0], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&job->sync[1], generation + 1, __ATOMIC_RELEASE);
    return;
  }
  while (__atomic_load_n(&job->sync[1], __ATOMIC_ACQUIRE) == generation) {}
}

// Publishes this shard's n partial sums in slot `slot` (0-3: sums, squared deviations, dbeta,
// dgamma) and replaces them by the totals over all shards, added in shard order.
static void all_sum(const ProgramJob *job, int slot, float *values, int n) {
  if (job->shards <= 1) return;
  int cs = job->partial_stride / 4;
  float *mine = job->partial + job->shard * job->partial_stride + slot * cs;
  for (int c = 0; c < n; c++) mine[c] = values[c];
  barrier(job);
  for (int c = 0; c < n; c++) {
    float total = 0;
    for (int t = 0; t < job->shards; t++) total += job->partial[t * job->partial_stride + slot * cs + c];
    values[c] = total;
  }
}

static void batchnorm_forward(const Program *prog, ProgramJob *job, int i, const float *x, float *y, int training) {
  const Op *o = &prog->op[i];
  int cs = o->cs, pixels = job->rows * o->h * o->w;
  const float *gamma = prog->P + o->W, *beta = prog->P + o->b;
  // bn[i]: the batch's mean, 1/stddev, and (backward) the whole batch's dbeta and dgamma, cs each
  float *mu = job->bn[i], *inv = job->bn[i] + cs, *xhat = job->aux[i];
  float *mm = prog->stats + o->mean, *mv = prog->stats + o->var;
  if (training) {
    for (int c = 0; c < cs; c++) { mu[c] = 0; inv[c] = 0; }
    // sums in blocks of 64 pixels, so that the rounding error does not grow with the batch
    for (int p0 = 0; p0 < pixels; p0 += 64) {
      int p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
      for (int c = 0; c < cs; c++) {
        float s = 0;
        for (int p = p0; p < p1; p++) s += x[p * cs + c];
        mu[c] += s;
      }
    }
    all_sum(job, 0, mu, cs);
    float count = (float)(job->batch * o->h * o->w);
    for (int c = 0; c < cs; c++) mu[c] /= count;
    for (int p0 = 0; p0 < pixels; p0 += 64) {
      int p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
      for (int c = 0; c < cs; c++) {
        float s = 0;
        for (int p = p0; p < p1; p++) { float d = x[p * cs + c] - mu[c]; s += d * d; }
        inv[c] += s;
      }
    }
    all_sum(job, 1, inv, cs);
    for (int c = 0; c < cs; c++) {
      float var = inv[c] / count;
      float one_minus = 1.0f - o->momentum;
      if (job->shard == 0) {
        mm[c] = mm[c] - (mm[c] - mu[c]) * one_minus;
        mv[c] = mv[c] - (mv[c] - var) * one_minus;
      }
      inv[c] = 1.0f / __builtin_sqrtf(var + o->eps);
    }
  } else {
    for (int c = 0; c < cs; c++) { mu[c] = mm[c]; inv[c] = 1.0f / __builtin_sqrtf(mv[c] + o->eps); }
  }
  for (int p = 0; p < pixels; p++) {
    for (int c = 0; c < cs; c++) {
      float h = (x[p * cs + c] - mu[c]) * inv[c];
      if (training) xhat[p * cs + c] = h;
      y[p * cs + c] = c < o->c ? h * gamma[c] + beta[c] : 0.0f;
    }
  }
}

// D: dLoss/dy (activation derivative applied). dgamma = sum D * xhat, dbeta = sum D,
// dx = gamma / stddev / N * (N * D - dbeta - xhat * dgamma).
static void batchnorm_backward(const Program *prog, ProgramJob *job, int i, const float *D, float *dx) {
  const Op *o = &prog->op[i];
  int cs = o->cs, pixels = job->rows * o->h * o->w;
  const float *gamma = prog->P + o->W, *xhat = job->aux[i], *inv = job->bn[i] + cs;
  float *dgamma = job->G + o->W, *dbeta = job->G + o->b;
  for (int c = 0; c < cs; c++) { dgamma[c] = 0; dbeta[c] = 0; }
  for (int p0 = 0; p0 < pixels; p0 += 64) {
    int p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
    for (int c = 0; c < o->c; c++) {
      float sg = 0, sb = 0;
      for (int p = p0; p < p1; p++) { float d = D[p * cs + c]; sg += d * xhat[p * cs + c]; sb += d; }
      dgamma[c] += sg;
      dbeta[c] += sb;
    }
  }
  if (!o->need_dx) return;
  // dx needs the whole batch's sums; the gradients keep this shard's own (the optimizer adds them up)
  float *sb = job->bn[i] + 2 * cs, *sg = job->bn[i] + 3 * cs;
  for (int c = 0; c < cs; c++) { sb[c] = dbeta[c]; sg[c] = dgamma[c]; }
  all_sum(job, 2, sb, cs);
  all_sum(job, 3, sg, cs);
  float n = (float)(job->batch * o->h * o->w);
  for (int p = 0; p < pixels; p++) {
    for (int c = 0; c < cs; c++) {
      dx[p * cs + c] = c < o->c ? gamma[c] * inv[c] / n * (n * D[p * cs + c] - sb[c] - xhat[p * cs + c] * sg[c]) : 0.0f;
    }
  }
}
