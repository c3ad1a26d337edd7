/**
 * tfjs-backend-webgpu reads `navigator.gpu` (its constructor refuses to run without it). Node has no
 * `navigator` (20) or one without `gpu` (21+), and a process-wide one would keep Dawn alive and make
 * other code believe it runs in a browser, so we lend `gpu` only for the synchronous call that
 * needs it, then put everything back as it was.
 */
export function withNavigatorGpu<T>(gpu: unknown, run: () => T): T {
  const global = globalThis as { navigator?: { gpu?: unknown } };
  const navigator = global.navigator;
  if (navigator?.gpu === gpu) return run();

  if (navigator === undefined) {
    const own = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    try {
      return run();
    } finally {
      if (own) Object.defineProperty(globalThis, 'navigator', own);
      else delete global.navigator;
    }
  }

  const own = Object.getOwnPropertyDescriptor(navigator, 'gpu');
  Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  try {
    return run();
  } finally {
    if (own) Object.defineProperty(navigator, 'gpu', own);
    else delete navigator.gpu;
  }
}
