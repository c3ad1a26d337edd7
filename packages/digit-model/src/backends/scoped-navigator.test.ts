import { afterEach, describe, expect, it } from 'vitest';
import { withNavigatorGpu } from './scoped-navigator';

const global = globalThis as { navigator?: { gpu?: unknown } };
const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'navigator', original);
  else delete global.navigator;
});

describe('withNavigatorGpu', () => {
  it('lends navigator.gpu for the call only, and restores the global afterwards', () => {
    const gpu = { name: 'fake gpu' };
    const before = global.navigator;
    const seen = withNavigatorGpu(gpu, () => global.navigator?.gpu);
    expect(seen).toBe(gpu);
    expect(global.navigator).toBe(before);
    expect(global.navigator?.gpu).toBeUndefined();
  });

  it('restores after a throw', () => {
    const before = global.navigator;
    expect(() =>
      withNavigatorGpu({}, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(global.navigator).toBe(before);
  });

  it('adds gpu to an existing navigator without replacing it, then removes it', () => {
    const navigator = { userAgent: 'test' } as { userAgent: string; gpu?: unknown };
    Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true, writable: true });
    const gpu = {};
    withNavigatorGpu(gpu, () => {
      expect(global.navigator).toBe(navigator);
      expect(navigator.gpu).toBe(gpu);
    });
    expect(global.navigator).toBe(navigator);
    expect('gpu' in navigator).toBe(false);
  });

  it('leaves a navigator.gpu that is already there alone', () => {
    const gpu = {};
    const navigator = { gpu };
    Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true, writable: true });
    const other = {};
    withNavigatorGpu(other, () => expect(navigator.gpu).toBe(other));
    expect(navigator.gpu).toBe(gpu);
  });
});
