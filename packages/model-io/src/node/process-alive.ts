import { hostname } from 'node:os';
import { readRegularFile } from '@digits/mnist-data/node';

/** Who wrote a lock file or a temp directory: enough to tell later whether that writer is still running. */
export interface WriterStamp {
  pid: number;
  host: string;
  /** ISO time */
  createdAt: string;
}

export function writerStamp(): WriterStamp {
  return { pid: process.pid, host: hostname(), createdAt: new Date().toISOString() };
}

/**
 * Whether the writer may still be running. Only a process on this host can be checked (signal 0
 * tests for existence without sending anything; EPERM means it exists under another user); a stamp
 * from another host counts as alive, so a shared directory is never taken over by guesswork.
 */
export function writerAlive(stamp: WriterStamp): boolean {
  if (stamp.host !== hostname()) return true;
  if (stamp.pid === process.pid) return true;
  try {
    process.kill(stamp.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseStamp(text: string): WriterStamp | undefined {
  try {
    const value = JSON.parse(text) as Partial<WriterStamp>;
    if (Number.isInteger(value.pid) && typeof value.host === 'string' && typeof value.createdAt === 'string') return value as WriterStamp;
  } catch {
    // not one of ours
  }
  return undefined;
}

/**
 * Reads a stamp file (a lock, a temp directory's marker), or undefined when it is missing or not
 * one of ours. Only a small regular file is read: a FIFO or a link to /dev/zero planted under
 * that name cannot hang or flood the next run.
 */
export async function readStamp(path: string): Promise<WriterStamp | undefined> {
  const bytes = await readRegularFile(path, { maxBytes: 4096, code: 'WRITE_FAILED', what: 'a stamp file' }).catch(() => undefined);
  return bytes === undefined ? undefined : parseStamp(new TextDecoder().decode(bytes));
}
