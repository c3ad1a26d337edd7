import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$DIGITS_CACHE`, else the platform's per-user cache directory plus `digits`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.DIGITS_CACHE) return env.DIGITS_CACHE;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'digits', 'Cache');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'digits');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'digits');
}
