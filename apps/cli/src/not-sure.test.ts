import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawnDigits, nonDigitDrawings, renderDrawing, type Drawing } from '@digits/mnist-data';
import { NOT_SURE_THRESHOLD } from '@digits/model';
import { runDigits } from './test-utils/run';

// The model the web page ships: the CNN fine-tuned to be unsure of non-digits (apps/web/scripts/build-model.ts).
const SHIPPED_MODEL = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../web/public/models/default');

let work: string;

/** Writes a generated drawing as an RGB PNG, as a phone photo or canvas export would arrive. */
function writeDrawing(name: string, drawing: Drawing): string {
  const image = renderDrawing(drawing, 160);
  const png = new PNG({ width: image.width, height: image.height });
  for (let p = 0; p < image.width * image.height; p++) png.data.set([image.data[p * 3]!, image.data[p * 3 + 1]!, image.data[p * 3 + 2]!, 255], p * 4);
  const file = join(work, name);
  writeFileSync(file, PNG.sync.write(png));
  return name;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'digits-not-sure-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Prediction {
  source: string;
  digit: number;
  notSure: boolean;
  probability: number;
  margin: number;
  entropy: number;
  threshold: { measure: string; below: number };
}

describe('digits predict says when it is not sure', () => {
  it('flags a scribble and a letter, not a drawn digit, in text and JSON', async () => {
    const scribble = nonDigitDrawings({ seed: 5, count: 20 }).find((d) => d.kind === 'scribble')!;
    const [letter] = nonDigitDrawings({ seed: 6, count: 20, only: ['X', 'star'] }).filter((d) => d.name === 'X');
    const seven = drawnDigits({ seed: 8, perDigit: 1 })[7]!;
    const files = [writeDrawing('scribble.png', scribble), writeDrawing('letter-x.png', letter!), writeDrawing('seven.png', seven)];

    const json = await runDigits(['predict', '--model', SHIPPED_MODEL, ...files, '--json'], { cwd: work });
    expect(json.code, json.stderr).toBe(0);
    const predictions = JSON.parse(json.stdout) as Prediction[];
    expect(predictions.map((p) => [p.source, p.notSure])).toEqual([
      ['scribble.png', true],
      ['letter-x.png', true],
      ['seven.png', false],
    ]);
    expect(predictions[2]!.digit).toBe(7);
    for (const p of predictions) {
      // the CLI reports the library's calibrated threshold (the CLI is the built binary, this the source)
      expect(p.threshold).toEqual(NOT_SURE_THRESHOLD);
      expect(p.probability < NOT_SURE_THRESHOLD.below).toBe(p.notSure);
      expect(p.entropy).toBeGreaterThanOrEqual(0);
      expect(p.entropy).toBeLessThanOrEqual(1);
    }

    const text = await runDigits(['predict', '--model', SHIPPED_MODEL, ...files], { cwd: work });
    expect(text.code, text.stderr).toBe(0);
    const threshold = String(NOT_SURE_THRESHOLD.below).replace('.', '\\.');
    expect(text.stdout).toMatch(new RegExp(String.raw`^scribble\.png: \d \(\d+\.\d%\) - not sure, may not be a digit \(probability 0\.\d\d < ${threshold}\)`, 'm'));
    expect(text.stdout).toMatch(/^letter-x\.png: \d \(\d+\.\d%\) - not sure, may not be a digit/m);
    expect(text.stdout).toMatch(/^seven\.png: 7 \(\d+\.\d%\)( \[dark ink on light background, inverted\])?$/m);
  }, 120_000);
});
