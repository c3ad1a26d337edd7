import { describe, expect, it } from 'vitest';
import {
  batchIndices,
  classCounts,
  createRng,
  gatherBatch,
  imageAt,
  shuffledIndices,
  splitValidation,
  subset,
  takeFirst,
} from './index';
import { MNIST_FACTS, realMnist, sameBytes } from './test-utils/real-mnist';

describe('seeded randomness', () => {
  it('createRng is deterministic per seed and uniform-ish in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(Array.from({ length: 10000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('shuffledIndices is a reproducible permutation', () => {
    const one = shuffledIndices(1000, 7);
    expect([...one]).toEqual([...shuffledIndices(1000, 7)]);
    expect([...one]).not.toEqual([...shuffledIndices(1000, 8)]);
    expect([...one].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...one.subarray(0, 20)]).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('splits of the real MNIST', () => {
  it('imageAt and takeFirst are views of the right images', async () => {
    const { train } = await realMnist();
    const first = takeFirst(train, 10);
    expect(first.count).toBe(10);
    expect([...first.labels]).toEqual(MNIST_FACTS.firstTrainLabels);
    expect(first.images.buffer).toBe(train.images.buffer);
    expect(imageAt(train, 3)).toEqual(train.images.subarray(3 * 784, 4 * 784));
    expect(() => imageAt(train, 60000)).toThrow(/outside 0-59999/);
  });

  it('subset copies the picked images and labels in order', async () => {
    const { train } = await realMnist();
    const picked = subset(train, [4, 0]);
    expect([...picked.labels]).toEqual([9, 5]);
    expect(imageAt(picked, 0)).toEqual(imageAt(train, 4));
    expect(imageAt(picked, 1)).toEqual(imageAt(train, 0));
  });

  it('splitValidation holds out a reproducible, disjoint fraction and keeps every image', async () => {
    const { train } = await realMnist();
    const { train: rest, validation } = splitValidation(train, 0.1, 1);
    expect(validation.count).toBe(6000);
    expect(rest.count).toBe(54000);
    const again = splitValidation(train, 0.1, 1);
    expect(sameBytes(again.validation.labels, validation.labels)).toBe(true);
    expect(sameBytes(again.validation.images, validation.images)).toBe(true);
    expect(sameBytes(again.train.images, rest.images)).toBe(true);
    expect(sameBytes(splitValidation(train, 0.1, 2).validation.labels, validation.labels)).toBe(false);
    const total = classCounts(rest.labels).map((n, i) => n + classCounts(validation.labels)[i]!);
    expect(total).toEqual(MNIST_FACTS.trainCounts);
    // every class is represented roughly in proportion
    classCounts(validation.labels).forEach((n, i) => expect(Math.abs(n - MNIST_FACTS.trainCounts[i]! / 10)).toBeLessThan(100));
    expect(() => splitValidation(train, 1, 1)).toThrow(/between 0 and 1/);
  });

  it('batchIndices covers every index once; gatherBatch returns normalized x and one-hot y', async () => {
    const { train } = await realMnist();
    const small = takeFirst(train, 300);
    const batches = batchIndices(small.count, 128, 3);
    expect(batches.map((b) => b.length)).toEqual([128, 128, 44]);
    const seen = batches.flatMap((b) => [...b]).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(batches[0]).toEqual(batchIndices(300, 128, 3)[0]);
    expect([...batchIndices(5, 2)[2]!]).toEqual([4]);
    const { x, y, labels } = gatherBatch(small, [0, 1]);
    expect(x.length).toBe(2 * 784);
    expect(x[imageAt(small, 0).indexOf(255)]).toBe(1);
    expect([...labels]).toEqual([5, 0]);
    expect(y[5]).toBe(1);
    expect(y[10]).toBe(1);
  });
});
