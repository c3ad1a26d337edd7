import { describe, expect, it } from 'vitest';
import { classCounts, imageAt, normalize, pixelHistogram, toCategorical } from './index';
import { MNIST_FACTS, realMnist } from './test-utils/real-mnist';

describe('tutorial array functions on the real MNIST', () => {
  it('normalize divides by 255 into float32 (training mean 33.318 / 255)', async () => {
    const { train } = await realMnist();
    const x = normalize(train.images);
    expect(x).toBeInstanceOf(Float32Array);
    expect(x.length).toBe(train.images.length);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < x.length; i++) {
      sum += x[i]!;
      if (x[i]! > max) max = x[i]!;
    }
    expect(sum / x.length).toBeCloseTo(MNIST_FACTS.trainPixelMean / 255, 5);
    expect(max).toBe(1);
    const i = train.images.indexOf(128);
    expect(x[i]).toBe(Math.fround(128 / 255));
    // unaligned views and odd lengths take the byte-by-byte path; results are the same
    const odd = train.images.subarray(12345, 12345 + 1001);
    const into = new Float32Array(1001);
    expect(normalize(odd, into)).toBe(into);
    expect([...into]).toEqual([...x.subarray(12345, 12345 + 1001)]);
    expect(() => normalize(odd, new Float32Array(10))).toThrow(/holds 10 values, need 1001/);
  });

  it('classCounts reproduces np.unique(return_counts=True)', async () => {
    const { train, test } = await realMnist();
    expect(classCounts(train.labels)).toEqual(MNIST_FACTS.trainCounts);
    expect(classCounts(test.labels)).toEqual(MNIST_FACTS.testCounts);
  });

  it('toCategorical one-hot encodes the first training labels', async () => {
    const { train } = await realMnist();
    const y = toCategorical(train.labels.subarray(0, 5));
    expect(y.length).toBe(50);
    for (let row = 0; row < 5; row++) {
      const hot = [...y.subarray(row * 10, row * 10 + 10)];
      expect(hot.indexOf(1)).toBe(MNIST_FACTS.firstTrainLabels[row]);
      expect(hot.reduce((a, b) => a + b, 0)).toBe(1);
    }
    expect(() => toCategorical([3, 10])).toThrow(/label 10 at index 1/);
  });

  it('pixelHistogram of the first image matches a direct count, like np.histogram', async () => {
    const { train } = await realMnist();
    const pixels = normalize(imageAt(train, 0));
    const { edges, counts } = pixelHistogram(pixels, 10, [0, 1]);
    expect(edges).toHaveLength(11);
    expect(edges[10]).toBe(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(784);
    const zeros = pixels.filter((v) => v < 0.1).length;
    const ones = pixels.filter((v) => v >= 0.9).length;
    expect(counts[0]).toBe(zeros);
    expect(counts[9]).toBe(ones);
    expect(zeros).toBeGreaterThan(600); // mostly black background
    expect(pixelHistogram([0, 0.5, 1, 2, -1], 2).counts).toEqual([1, 2]);
  });
});
