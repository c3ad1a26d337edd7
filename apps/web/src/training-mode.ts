import * as tf from '@tensorflow/tfjs';
import { builtinEngine } from '@digits/model/engine';

/**
 * Says how training runs here: the digits engine (both networks, on the engine backend) on how many worker
 * threads, and why only one when the page is not cross-origin isolated. `data-threads` carries the
 * count for the tests.
 */
export function showTrainingMode(line: HTMLElement, backendChoice: string): void {
  const backend = tf.getBackend();
  if (backendChoice !== 'engine') {
    line.dataset.threads = '0';
    line.textContent = `Both networks train on tfjs (${backend} backend).`;
    return;
  }
  const threads = builtinEngine.threads;
  line.dataset.threads = String(threads);
  line.dataset.isolated = String(globalThis.crossOriginIsolated === true);
  if (threads > 1) {
    line.textContent = `Both networks train in the digits engine on ${threads} threads (this page is cross-origin isolated).`;
    return;
  }
  const controlled = 'serviceWorker' in navigator && navigator.serviceWorker.controller !== null;
  line.textContent =
    `Both networks train in the digits engine on 1 thread: this page is not cross-origin isolated` +
    (controlled ? ' yet (reload it: the offline service worker adds the headers)' : ' (the host sends no COOP/COEP headers)') +
    '.';
}

/**
 * The threads the engine runs right now (its worker threads plus this one), from the runtime's own
 * count; 0 when no engine session is open. Recorded on the line as `data-threads-used` (the most seen).
 */
export function recordThreadsInUse(line: HTMLElement): number {
  const { workers, engines } = builtinEngine.usage();
  const now = engines > 0 ? workers + 1 : 0;
  if (now > Number(line.dataset.threadsUsed ?? 0)) line.dataset.threadsUsed = String(now);
  return now;
}
