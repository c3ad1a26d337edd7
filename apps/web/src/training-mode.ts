import * as tf from '@tensorflow/tfjs';
import { engineThreads } from '@digits/model';

/**
 * Says how training runs here: the digits engine (MLPs, on the engine backend) on how many worker
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
  const threads = engineThreads();
  line.dataset.threads = String(threads);
  line.dataset.isolated = String(globalThis.crossOriginIsolated === true);
  const cnn = `CNNs train on tfjs (${backend} backend)`;
  if (threads > 1) {
    line.textContent = `The tutorial MLP trains in the digits engine on ${threads} threads (this page is cross-origin isolated); ${cnn}.`;
    return;
  }
  const controlled = 'serviceWorker' in navigator && navigator.serviceWorker.controller !== null;
  line.textContent =
    `The tutorial MLP trains in the digits engine on 1 thread: this page is not cross-origin isolated` +
    (controlled ? ' yet (reload it: the offline service worker adds the headers)' : ' (the host sends no COOP/COEP headers)') +
    `; ${cnn}.`;
}
