// Shared by the engine programs: the softmax classifier and its cross-entropy.
#pragma once
#include "simd.h"

// Softmax over the c classes of each row of Z (pitch floats apart), the cross-entropy of the
// labels (Keras clips probabilities to [1e-7, 1 - 1e-7]), and in training delta = (p - onehot) /
// batch over the row's n floats, zero where the clip cuts the gradient. Rows are the positions
// [first, first + rows) of the batch; labels and order as the job's. The summed loss and the
// number of rows whose argmax is the label go to *loss_out and *correct_out.
static void softmax_xent(int rows, int first, int batch, int training, const uint8_t *labels, const uint32_t *order,
                         float *probs, float *Z, float *D, int pitch, int n, int c, float *loss_out, int32_t *correct_out) {
  float loss = 0;
  int correct = 0;
  const float eps = 1e-7f;
  float inv_batch = 1.0f / (float)batch;
  for (int r = 0; r < rows; r++) {
    float *z = Z + r * pitch;
    float mx = z[0];
    int arg = 0;
    for (int k = 1; k < c; k++) if (z[k] > mx) { mx = z[k]; arg = k; }
    float sum = 0;
    for (int k = 0; k < c; k++) { z[k] = exp_f(z[k] - mx); sum += z[k]; }
    for (int k = 0; k < c; k++) z[k] = z[k] / sum;
    if (probs) for (int k = 0; k < c; k++) probs[(first + r) * c + k] = z[k];
    if (!labels) continue;
    int pos = first + r;
    int label = labels[order ? (int)order[pos] : pos];
    correct += arg == label;
    float pt = z[label];
    float clipped = pt < eps ? eps : (pt > 1.0f - eps ? 1.0f - eps : pt);
    loss -= log_f(clipped);
    if (training) {
      float *d = D + r * pitch;
      int live = pt >= eps && pt <= 1.0f - eps;
      for (int k = 0; k < n; k++) d[k] = 0;
      if (live) {
        for (int k = 0; k < c; k++) d[k] = z[k] * inv_batch;
        d[label] = (z[label] - 1.0f) * inv_batch;
      }
    }
  }
  *loss_out = loss;
  *correct_out = correct;
}
