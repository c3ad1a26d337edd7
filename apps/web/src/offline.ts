/**
 * Registers the service worker (dist/sw.js, written by plugins/service-worker.ts) once the page has
 * what it needs: called after the first prediction and the test digits, so the worker's precache
 * finds those files in the HTTP cache and downloads only the rest, in the background.
 */
export function enableOffline(): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return Promise.resolve(undefined);
  return navigator.serviceWorker.register('./sw.js').catch((error: unknown) => {
    console.warn('No offline support:', error);
    return undefined;
  });
}
