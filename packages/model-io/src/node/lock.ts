import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DigitsError } from '@digits/mnist-data';
import { readStamp, writerAlive, writerStamp } from './process-alive';

/** A held lock; `release()` removes the lock file (once). */
export interface TargetLock {
  readonly file: string;
  release(): Promise<void>;
}

/** The lock file of a target: beside it (`.<name>.digits-lock`), so the atomic swap of a directory never moves it. */
export const lockFileFor = (target: string) => join(dirname(target), `.${basename(target)}.digits-lock`);

/**
 * Takes the write lock of `target` (a directory or file path; its parent must exist). The lock is a
 * file created with O_EXCL holding the writer's pid and host. Why not proper-lockfile: its locks go
 * stale by mtime (a live holder refreshes them on a timer, a dead one's are taken over only after
 * `stale` ms, 2 s at least), so `digits train --resume` right after a `kill -9` would be refused for
 * seconds; a pid answers "is the writer alive" at once. A lock whose process is gone (same host) is
 * taken over; a live one is TARGET_LOCKED, naming the pid and the lock file to delete if that is wrong
 * (a pid reused by an unrelated process). Two processes taking over the same stale lock in the same
 * instant could both win; that needs a writer to have died and two new ones to start together.
 */
export async function lockTarget(target: string, label = target): Promise<TargetLock> {
  const file = lockFileFor(target);
  const stamp = JSON.stringify(writerStamp());
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(stamp);
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        file,
        async release() {
          if (released) return;
          released = true;
          await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DigitsError('WRITE_FAILED', `cannot create the lock file ${file}: ${(error as Error).message}`, { file: label, cause: error });
      }
    }
    const holder = await readStamp(file);
    if (holder && writerAlive(holder)) {
      throw new DigitsError(
        'TARGET_LOCKED',
        `another digits process (pid ${holder.pid}, since ${holder.createdAt}) is writing here; wait for it to finish (if no such process is running, delete ${file})`,
        { file: label },
      );
    }
    if (!holder) {
      // an empty lock file is one being written this instant (or a crash in between): give it a moment
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await readStamp(file);
      if (again && writerAlive(again)) continue;
    }
    // the writer is gone: move its lock aside (rename is atomic, so only one taker removes it) and retry
    const stale = `${file}.stale-${randomBytes(4).toString('hex')}`;
    await rename(file, stale).then(() => rm(stale, { force: true }), () => undefined);
  }
  throw new DigitsError('TARGET_LOCKED', `could not take the lock ${file}`, { file: label });
}
