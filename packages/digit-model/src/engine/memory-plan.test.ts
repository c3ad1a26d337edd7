import { describe, expect, it } from 'vitest';
import { JOB, NET, UPDATE } from './layout';
import { GRADIENT_GROUP, PAGE, planMemory, type MemoryPlanInput } from './memory-plan';

const TUTORIAL: MemoryPlanInput = { inputSize: 784, units: [512, 512, 10], batchSize: 128, samples: 60000, threads: 2, prediction: false };
// odd sizes: units not a multiple of 4, a batch that does not split evenly, three threads
const ODD: MemoryPlanInput = { inputSize: 37, units: [30, 9, 3], batchSize: 50, samples: 333, threads: 3, prediction: false };

describe('planMemory', () => {
  it.each([
    ['tutorial', TUTORIAL],
    ['odd sizes', ODD],
    ['prediction', { ...ODD, prediction: true }],
  ] as const)('places every region 64-byte aligned, after the null page, inside the size, disjoint (%s)', (_, input) => {
    const plan = planMemory(input);
    const regions = [...plan.regions].sort((a, b) => a.at - b.at);
    expect(regions[0]!.at).toBeGreaterThanOrEqual(PAGE);
    for (const [i, r] of regions.entries()) {
      expect(r.at % 64).toBe(0);
      expect(r.at + r.bytes).toBeLessThanOrEqual(plan.size);
      if (i > 0) expect(r.at).toBeGreaterThanOrEqual(regions[i - 1]!.at + regions[i - 1]!.bytes);
    }
    expect(new Set(plan.regions.map((r) => r.name)).size).toBe(plan.regions.length);
  });

  it('sizes each region for its shape: padded widths, pitches, rows per thread, structs', () => {
    const plan = planMemory(ODD);
    const bytes = (name: string) => plan.regions.find((r) => r.name === name)!.bytes;
    expect(plan.strides).toEqual([32, 12, 4]);
    expect(plan.pitches).toEqual([32, 12, 4]);
    expect(plan.inDims).toEqual([37, 32, 12]);
    expect(plan.rows).toBe(17); // ceil(50 / 3)
    expect(bytes('W[0]')).toBe(37 * 32 * 4);
    expect(bytes('vW[2]')).toBe(12 * 4 * 4);
    expect(bytes('b[1]')).toBe(12 * 4);
    expect(bytes('thread 2 act[0]')).toBe(17 * 32 * 4);
    expect(bytes('thread 0 csr_idx[1]')).toBe(17 * 32 * 4);
    expect(bytes('net')).toBe(NET.size);
    expect(bytes('thread 1 job')).toBe(JOB.size);
    expect(bytes('thread 1 update')).toBe(UPDATE.size);
    expect(bytes('images')).toBe(333 * 37);
    expect(bytes('order')).toBe(333 * 4);
    // 256-byte rows would alias in the cache sets: padded by 16 floats
    expect(planMemory(TUTORIAL).pitches).toEqual([528, 528, 12]);
  });

  it("gives each thread each layer's transposed input and the optimizer's gradient rows, and lists the jobs", () => {
    const plan = planMemory(ODD);
    const bytes = (name: string) => plan.regions.find((r) => r.name === name)!.bytes;
    plan.inDims.forEach((k, l) => {
      expect(bytes(`thread 2 tr_ptr[${l}]`)).toBe((k + 1) * 4);
      expect(bytes(`thread 2 tr_val[${l}]`)).toBe(17 * k * 4);
    });
    expect(bytes('thread 0 scratch')).toBe(GRADIENT_GROUP * 32 * 4);
    expect(bytes('jobList')).toBe(3 * 4);
    expect(plan.regions.some((r) => r.name.includes('grad'))).toBe(false);
  });

  it('is a pure function of its input; prediction trades labels and order for float inputs and probabilities', () => {
    expect(planMemory(TUTORIAL)).toEqual(planMemory({ ...TUTORIAL }));
    const training = planMemory(ODD);
    const prediction = planMemory({ ...ODD, prediction: true });
    expect([training.floatImages, training.probs]).toEqual([0, 0]);
    expect(training.labels * training.order).toBeGreaterThan(0);
    expect([prediction.labels, prediction.order]).toEqual([0, 0]);
    expect(prediction.regions.find((r) => r.name === 'probs')!.bytes).toBe(50 * 3 * 4);
    expect(prediction.regions.find((r) => r.name === 'floatImages')!.bytes).toBe(333 * 37 * 4);
    // nothing for the backward pass or the optimizer step
    expect(prediction.regions.filter((r) => /tr_|scratch/.test(r.name))).toEqual([]);
    expect(prediction.threads[0]!.tr_ptr).toEqual([0, 0, 0]);
  });
});
