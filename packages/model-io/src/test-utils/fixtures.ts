import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** Real Keras files shared beside the clone (read-only; never copied into the repo). */
export const KERAS_FIXTURES = resolve(repoRoot, '../shared/fixtures/keras');
export const fixturePath = (name: string) => resolve(KERAS_FIXTURES, name);
export const readFixture = (name: string) => new Uint8Array(readFileSync(fixturePath(name)));

export interface ExpectedModel {
  fixture: string;
  input_shape: (number | null)[];
  layers: string[];
  expected: { input: string; argmax: number; softmax: number[] }[];
}

export interface ExpectedPredictions {
  inputs: { id: string; pixels: number[] }[];
  models: ExpectedModel[];
}

export const expectedPredictions = (): ExpectedPredictions => JSON.parse(readFileSync(fixturePath('expected_predictions.json'), 'utf8'));

/** Real PNGs as the CLI's renderers (resvg, pngjs) wrote them, from its README (written before digits marked its PNGs). */
export const readDocsPng = (name: string) => new Uint8Array(readFileSync(resolve(repoRoot, 'apps/cli/docs', name)));
