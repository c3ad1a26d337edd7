/**
 * The figures apps/web/README.md quotes for the shipped models: accuracy on generated pad drawings
 * of digits (never MNIST images), and how often the "not sure" verdict fires on drawn digits, on
 * MNIST test digits and on generated non-digits (letters, shapes, scribbles, specks; and on kinds
 * the shipped CNN never saw in training). With --calibrate it also prints the best threshold per
 * measure on the calibration sets (other seeds than the reported ones).
 *
 *   pnpm --filter @digits/web report:drawings [--calibrate] [model dir ...]   # default: public/models/default and public/models/mlp
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawingPixels, drawnDigits, nonDigitDrawings, type Drawing } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';
import { calibrateNotSure, notSureRate, readDigits, selectBackend, NOT_SURE_THRESHOLD } from '@digits/model';
import { loadModel } from '@digits/model-io/node';
import { CALIBRATION, HELD_OUT, REJECTION_HELD_OUT } from './drawing-sets';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const calibrate = args.includes('--calibrate');
const dirs = args.filter((a) => !a.startsWith('--'));
const models = dirs.length > 0 ? dirs : [resolve(here, '../public/models/default'), resolve(here, '../public/models/mlp')];
const PER_DIGIT = Number(process.env.DIGITS_DRAWINGS_PER_DIGIT ?? 100);
const NON_DIGITS = Number(process.env.DIGITS_NON_DIGITS ?? 600);

await selectBackend('wasm');
const mnist = await loadMnist({ source: 'embedded' });
const sets = (seeds: { digits: number; nonDigits: number }) => {
  const digits = drawnDigits({ seed: seeds.digits, perDigit: PER_DIGIT });
  const nonDigits = nonDigitDrawings({ seed: seeds.nonDigits, count: NON_DIGITS });
  const unseen = nonDigitDrawings({ seed: seeds.nonDigits + 1, count: 200, only: REJECTION_HELD_OUT });
  return { digits, nonDigits, unseen: unseen.filter((d) => d.kind === 'letter' || d.kind === 'shape') };
};
const heldOut = sets(HELD_OUT);
const calibration = calibrate ? sets(CALIBRATION) : undefined;
const pixels = new Map<Drawing[], Float32Array>();
const px = (drawings: Drawing[]) => pixels.get(drawings) ?? pixels.set(drawings, drawingPixels(drawings)).get(drawings)!;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

for (const dir of models) {
  const { model } = await loadModel(dir);
  const read = (drawings: Drawing[]) => readDigits(model, px(drawings));
  const digits = read(heldOut.digits);
  const accuracy = digits.filter((r, i) => r.digit === heldOut.digits[i]!.label).length / digits.length;
  const test = readDigits(model, mnist.test);
  const testAccuracy = test.filter((r, i) => r.digit === mnist.test.labels[i]).length / test.length;
  const nonDigits = read(heldOut.nonDigits);
  const byKind = (kind: string) => notSureRate(nonDigits.filter((_, i) => heldOut.nonDigits[i]!.kind === kind));
  const confidentNonDigits = nonDigits.filter((r) => r.probability >= 0.9).length;
  console.log(`\n${dir}`);
  console.log(`  drawn digits (${digits.length}, seed ${HELD_OUT.digits}): ${pct(accuracy)} right; MNIST test: ${pct(testAccuracy)} right`);
  console.log(`  not sure (${NOT_SURE_THRESHOLD.measure} < ${NOT_SURE_THRESHOLD.below}): drawn digits ${pct(notSureRate(digits))}, MNIST test ${pct(notSureRate(test))},` +
    ` non-digits ${pct(notSureRate(nonDigits))} (${nonDigits.length}, seed ${HELD_OUT.nonDigits}: letters ${pct(byKind('letter'))}, shapes ${pct(byKind('shape'))},` +
    ` scribbles ${pct(byKind('scribble'))}, specks ${pct(byKind('noise'))}), kinds never trained on ${pct(notSureRate(read(heldOut.unseen)))} (${heldOut.unseen.length})`);
  console.log(`  non-digits read with >= 90% probability: ${confidentNonDigits} of ${nonDigits.length}`);
  const wrong = digits.map((r, i) => [r, heldOut.digits[i]!] as const).filter(([r, d]) => r.digit !== d.label);
  console.log(`  misread drawn digits: ${wrong.map(([r, d]) => `${d.label}->${r.digit}`).join(' ') || 'none'}`);
  if (calibration) {
    const best = calibrateNotSure(read(calibration.digits), read(calibration.nonDigits));
    for (const c of best) {
      console.log(`  calibration (seeds ${CALIBRATION.digits}/${CALIBRATION.nonDigits}): ${c.threshold.measure} < ${c.threshold.below.toFixed(4)} flags ${pct(c.digitsFlagged)} of drawn digits, ${pct(c.nonDigitsFlagged)} of non-digits`);
    }
  }
  model.dispose();
}
