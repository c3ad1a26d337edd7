import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileBytes, readRegularFile } from '../node';
import { tempDir } from '../test-utils/real-mnist';

const read = (path: string, maxBytes = 1024) => readRegularFile(path, { maxBytes, code: 'DATASET_FILE_MISSING', what: 'a test file' });

describe('readRegularFile: only regular files, only up to a size', () => {
  it('reads a regular file, also through a symlink', async () => {
    const dir = await tempDir('regular');
    writeFileSync(join(dir, 'a.txt'), 'hello');
    symlinkSync(join(dir, 'a.txt'), join(dir, 'link.txt'));
    expect(Buffer.from(await read(join(dir, 'a.txt'))).toString()).toBe('hello');
    expect(Buffer.from(await read(join(dir, 'link.txt'))).toString()).toBe('hello');
  });

  it('refuses a link to /dev/zero, a FIFO and a directory at once, instead of reading forever', async () => {
    const dir = await tempDir('special');
    symlinkSync('/dev/zero', join(dir, 'zero'));
    execFileSync('mkfifo', [join(dir, 'pipe')]); // nobody ever writes to it: a plain open would wait forever
    mkdirSync(join(dir, 'sub'));
    const started = Date.now();
    await expect(read(join(dir, 'zero'))).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: expect.stringMatching(/zero: not a regular file but a character device/) });
    await expect(read(join(dir, 'pipe'))).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: expect.stringMatching(/pipe: not a regular file but a FIFO/) });
    await expect(read(join(dir, 'sub'))).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: expect.stringMatching(/sub: not a regular file but a directory/) });
    // the data reader uses it: a dataset file that is a FIFO is refused the same way
    await expect(readFileBytes(join(dir, 'pipe'))).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a file over maxBytes unread, and names a missing file with the caller’s code', async () => {
    const dir = await tempDir('large');
    writeFileSync(join(dir, 'big'), Buffer.alloc(1025));
    await expect(read(join(dir, 'big'))).rejects.toMatchObject({ code: 'FILE_TOO_LARGE', message: expect.stringMatching(/1025 bytes, more than the 1024 bytes accepted for a test file/) });
    expect((await read(join(dir, 'big'), 1025)).length).toBe(1025);
    await expect(read(join(dir, 'missing'))).rejects.toMatchObject({ code: 'DATASET_FILE_MISSING', message: expect.stringMatching(/missing: file not found$/) });
  });
});
