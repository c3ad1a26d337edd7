import { describe, expect, it } from 'vitest';
import { DigitsError, isDigitsError } from '@digits/mnist-data';

describe('DigitsError', () => {
  it('carries a code and names the file in its message', () => {
    const error = new DigitsError('IDX_BAD_MAGIC', 'expected magic 0x0000, found 0x1f8b', { file: 'a.idx' });
    expect(error.message).toBe('a.idx: expected magic 0x0000, found 0x1f8b');
    expect(isDigitsError(error, 'IDX_BAD_MAGIC')).toBe(true);
    expect(isDigitsError(error, 'NO_INK')).toBe(false);
    expect(isDigitsError(new Error('x'))).toBe(false);
  });

  it('keeps the reason without the file, for messages that name the file themselves', () => {
    const error = new DigitsError('MODEL_INVALID', 'not valid JSON', { file: 'x.h5' });
    expect(error.reason).toBe('not valid JSON');
    expect(`Could not load x.h5: ${error.reason}`).toBe('Could not load x.h5: not valid JSON');
  });
});
