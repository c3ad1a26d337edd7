/**
 * What a failed file operation means, without the path: Node's messages end in the path
 * ("ENOENT: no such file or directory, open 'x.h5'"), and our errors name the file already, so
 * quoting Node's message would name it twice ("x.h5: cannot read file: ENOENT: ..., open 'x.h5'").
 */
const REASONS: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ENOTEMPTY: 'a non-empty directory is in the way',
  EEXIST: 'something is already there',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

export function fsErrorReason(cause: unknown): string {
  const error = cause as NodeJS.ErrnoException | undefined;
  const code = error?.code;
  if (code !== undefined && REASONS[code] !== undefined) return `${REASONS[code]} (${code})`;
  const message = error instanceof Error ? error.message : String(cause);
  // "EXDEV: cross-device link not permitted, rename 'a' -> 'b'": keep what precedes the syscall part
  return error?.syscall ? message.replace(new RegExp(`, ${error.syscall} .*$`), '') : message;
}
