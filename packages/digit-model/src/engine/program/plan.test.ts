import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createCnn } from '../../models';
import { OP, PROGRAM_JOB } from '../layout';
import { compileProgram, type Program } from './compile';
import { CONV_BLOCK, PAGE, planProgram, type ProgramPlanInput } from './plan';

function compiled(model: tf.LayersModel): Program {
  const program = compileProgram(model);
  if (typeof program === 'string') throw new Error(program);
  return program;
}

const cnn = compiled(createCnn({ seed: 0 }));
// odd sizes: 6 filters (padded to 8), a 5x5 kernel with stride 2, batchnorm, a batch of 50 over three threads
const odd = compiled(
  tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, strides: 2, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
      tf.layers.conv2d({ filters: 7, kernelSize: 3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  }),
);
const TRAINING: ProgramPlanInput = { batchSize: 128, samples: 60000, threads: 2, prediction: false };
const ODD: ProgramPlanInput = { batchSize: 50, samples: 333, threads: 3, prediction: false };

describe('planProgram', () => {
  it.each([
    ['createCnn', cnn, TRAINING],
    ['odd sizes', odd, ODD],
    ['prediction', odd, { ...ODD, prediction: true }],
  ] as const)('places every region 64-byte aligned, after the null page, inside the size, disjoint (%s)', (_, program, input) => {
    const plan = planProgram(program, input);
    const regions = [...plan.regions].sort((a, b) => a.at - b.at);
    expect(regions[0]!.at).toBeGreaterThanOrEqual(PAGE);
    for (const [i, r] of regions.entries()) {
      expect(r.at % 64).toBe(0);
      expect(r.at + r.bytes).toBeLessThanOrEqual(plan.size);
      if (i > 0) expect(r.at).toBeGreaterThanOrEqual(regions[i - 1]!.at + Math.max(regions[i - 1]!.bytes, 4));
    }
    expect(new Set(plan.regions.map((r) => r.name)).size).toBe(plan.regions.length);
  });

  it('sizes the regions for the shapes: padded channels, rows per thread, scratch for the largest product', () => {
    const plan = planProgram(odd, ODD);
    const bytes = (name: string) => plan.regions.find((r) => r.name === name)!.bytes;
    expect(plan.rows).toBe(17); // ceil(50 / 3)
    const [conv1, , pool, conv2, dense] = odd.ops;
    expect([conv1!.output.h, conv1!.output.w, conv1!.output.c, conv1!.output.cs]).toEqual([14, 14, 6, 8]);
    expect([conv1!.pt, conv1!.pl, conv1!.K]).toEqual([1, 1, 28]); // 5x5x1 taps, rounded up to 4
    expect([pool!.output.h, conv2!.output.h, conv2!.K]).toEqual([6, 4, 3 * 3 * 8]);
    expect(dense!.K).toBe(4 * 4 * 8); // the flattened map keeps conv2's padded channels
    expect(bytes('ops')).toBe(odd.ops.length * OP.size);
    expect(bytes('thread 2 job')).toBe(PROGRAM_JOB.size);
    expect(bytes('thread 0 act[1]')).toBe(17 * 14 * 14 * 8 * 4);
    expect(bytes('P')).toBe(odd.paramFloats * 4);
    expect(bytes('Wp[0]')).toBe(28 * 8 * 4);
    // conv1 reads 1-channel pixels: it keeps all of its im2col rows for its kernel gradient, and their transpose
    expect(bytes('thread 1 keep_idx[0]')).toBe(17 * 14 * 14 * 28 * 4);
    expect(bytes('thread 1 keep_ptr[0]')).toBe((17 * 14 * 14 + 1) * 4);
    expect(bytes('thread 1 t_idx')).toBeGreaterThanOrEqual(17 * 14 * 14 * 28 * 4);
    expect(planProgram(odd, { ...ODD, prediction: true }).threads[0]!.keep_idx.every((at) => at === 0)).toBe(true);
    expect(bytes('thread 1 dcol')).toBeGreaterThanOrEqual(Math.min(17 * 16, CONV_BLOCK) * conv2!.K * 4);
    expect(bytes('images')).toBe(333 * 784);
  });

  it('gives each thread its own gradient block, and no input gradient to the first op', () => {
    const plan = planProgram(cnn, TRAINING);
    plan.threads.forEach((t, i) => expect(t.G - plan.threads[0]!.G).toBe(i * plan.gradStride * 4));
    expect(cnn.ops[0]!.needDx).toBe(false);
    expect(cnn.ops.slice(1).every((op) => op.needDx)).toBe(true);
    expect(plan.WTp[0]).toBe(0); // conv1 never multiplies by its transposed kernel
    expect(plan.threads[0]!.delta[1]).toBeGreaterThan(0);
  });

  it('is a pure function of its input; prediction drops deltas, labels and order and adds float inputs and probabilities', () => {
    expect(planProgram(cnn, TRAINING)).toEqual(planProgram(cnn, { ...TRAINING }));
    const training = planProgram(odd, ODD);
    const prediction = planProgram(odd, { ...ODD, prediction: true });
    expect([training.floatImages, training.probs]).toEqual([0, 0]);
    expect(training.labels * training.order).toBeGreaterThan(0);
    expect([prediction.labels, prediction.order]).toEqual([0, 0]);
    expect(prediction.threads.every((t) => t.delta.every((d) => d === 0))).toBe(true);
    expect(prediction.regions.find((r) => r.name === 'probs')!.bytes).toBe(50 * 10 * 4);
  });
});
