import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDigitsError, parseIdx, readImageHeader } from './index';
import { embeddedMnistDir, gunzipIfNeeded } from './node';
import { applyMutations, FUZZ, mutations } from './test-utils/mutations';

const real = (name: string) => new Uint8Array(readFileSync(join(embeddedMnistDir()!, name)));
const labels = real('t10k-labels-idx1-ubyte');
// the header and first 200 images of the real test set, with the count patched to match
const images = real('t10k-images-idx3-ubyte').slice(0, 16 + 200 * 784);
new DataView(images.buffer).setUint32(4, 200, false);

/** Runs `parse` and says whether it threw anything other than a DigitsError. */
function onlyDigitsErrors(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    return isDigitsError(error);
  }
}

describe('parsers fuzzed with mutations of real files (fixed seed)', () => {
  it('parseIdx: a mutated label or image file parses or throws a DigitsError, nothing else', () => {
    expect(parseIdx(images).dims).toEqual([200, 28, 28]);
    for (const file of [labels, images]) {
      fc.assert(fc.property(mutations(), (edits) => onlyDigitsErrors(() => parseIdx(applyMutations(file, edits), 'fuzzed'))), FUZZ);
    }
  });

  it('gunzip + parseIdx: a mutated .gz inflates within bounds or throws a DigitsError', async () => {
    const gz = gzipSync(labels);
    await fc.assert(
      fc.asyncProperty(mutations(), async (edits) => {
        try {
          parseIdx(await gunzipIfNeeded(applyMutations(gz, edits), 'fuzzed.gz'), 'fuzzed.gz');
          return true;
        } catch (error) {
          return isDigitsError(error);
        }
      }),
      { ...FUZZ, numRuns: 200 },
    );
  });

  it('readImageHeader: mutated PNG and JPEG headers give a size, undefined or a DigitsError', () => {
    // a complete 1x1 gray PNG, and the headers (APP0, DQT, SOF0, DHT, SOS) of an 8x8 baseline JPEG
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVQI12NgAAAAAgAB4iG8MwAAAABJRU5ErkJggg==', 'base64');
    const jpeg = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAAIAAgBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==', 'base64');
    expect(readImageHeader(png)).toEqual({ format: 'png', width: 1, height: 1 });
    expect(readImageHeader(jpeg)).toEqual({ format: 'jpeg', width: 8, height: 8 });
    for (const file of [png, jpeg]) {
      fc.assert(fc.property(mutations(), (edits) => onlyDigitsErrors(() => readImageHeader(applyMutations(file, edits), 'fuzzed'))), FUZZ);
    }
  });
});
