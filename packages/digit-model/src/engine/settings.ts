import { defaultThreadCount, threadsAvailable } from './threads';

/** How an engine runtime runs its sessions and its inference engine (`configureEngine`, `new EngineRuntime(settings)`). */
export interface EngineSettings {
  /** Threads sharing each batch; default (or undefined): the available cores, at most 8. */
  threads?: number | undefined;
  /**
   * Time a few batches on all threads and a few on this thread alone at the start of each epoch, and
   * keep the faster (on a busy machine, waiting for the slowest thread can cost more than the
   * threads gain). Results are identical either way. Default true.
   */
  adaptive?: boolean | undefined;
}

/** Applies `next` to `settings` in place: a key given as undefined goes back to its default. */
export function updateSettings(settings: EngineSettings, next: EngineSettings): void {
  for (const key of ['threads', 'adaptive'] as const) {
    if (!(key in next)) continue;
    if (next[key] === undefined) delete settings[key];
    else (settings as Record<string, unknown>)[key] = next[key];
  }
}

/** Threads an engine started with these settings asks for: the configured count, else the available cores (at most 8). */
export function requestedThreads(settings: Readonly<EngineSettings>): number {
  return settings.threads ?? defaultThreadCount();
}

/** Threads it gets here: the requested ones where shared memory and workers exist, else one. */
export function effectiveThreads(settings: Readonly<EngineSettings>): number {
  return threadsAvailable() ? requestedThreads(settings) : 1;
}
