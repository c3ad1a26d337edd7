// BatchNormalization over the last axis. Training: the batch's mean and (biased) variance per
// channel over every sample and pixel, x-hat kept for the backward pass, and the moving statistics
// updated as tfjs does (moving -= (moving - batch) * (1 - momentum)); inference: the moving
// statistics. The batch statistics need the whole batch, so a program with batchnorm trains on one
// shard (src/engine/program/compile.ts).
#pragma once
#include "program.h"
#include "simd.h"

static void batchnorm_forward(const Program *prog, ProgramJob *job, int i, const float *x, float *y, int training) {
  const Op *o = &prog->op[i];
  int cs = o->cs, pixels = job->rows * o->h * o->w;
  const float *gamma = prog->P + o->W, *beta = prog->P + o->b;
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
    for (int c = 0; c < cs; c++) mu[c] /= (float)pixels;
    for (int p0 = 0; p0 < pixels; p0 += 64) {
      int p1 = p0 + 64 < pixels ? p0 + 64 : pixels;
      for (int c = 0; c < cs; c++) {
        float s = 0;
        for (int p = p0; p < p1; p++) { float d = x[p * cs + c] - mu[c]; s += d * d; }
        inv[c] += s;
      }
    }
    for (int c = 0; c < cs; c++) {
      float var = inv[c] / (float)pixels;
      float one_minus = 1.0f - o->momentum;
      mm[c] = mm[c] - (mm[c] - mu[c]) * one_minus;
      mv[c] = mv[c] - (mv[c] - var) * one_minus;
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
  float n = (float)pixels;
  for (int p = 0; p < pixels; p++) {
    for (int c = 0; c < cs; c++) {
      dx[p * cs + c] = c < o->c ? gamma[c] * inv[c] / n * (n * D[p * cs + c] - dbeta[c] - xhat[p * cs + c] * dgamma[c]) : 0.0f;
    }
  }
}
