import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as bombs from './test-utils/bombs';
import { runDigits } from './test-utils/run';

// Small hostile files (each under 5 MB on disk) that used to take the CLI to 1.5-8 GB of memory or
// hang it forever. Each case runs the real CLI in a child process and must end within seconds
// under 1 GB peak RSS with one `digits: error: ... [CODE]` line, changing no file.
const GB_KB = 1_000_000;
const TIMEOUT_MS = 20_000;

let work: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'digits-cli-hostile-'));
  const at = (name: string) => join(work, name);
  bombs.datasetWith(at('idx-bomb'), bombs.idxGzipBomb);
  bombs.datasetWith(at('idx-huge-header'), bombs.idxGzipHugeHeader);
  bombs.datasetWith(at('idx-devzero'), bombs.linkToDevZero);
  bombs.datasetWith(at('idx-fifo'), bombs.fifo);
  bombs.kerasWithUnusedMember(at('unused-member.keras'));
  bombs.kerasWithLyingMember(at('lying-member.keras'));
  bombs.kerasWithUnits(at('units.keras'), 1_000_000);
  await bombs.h5WithEmptyDataset(at('empty-dataset.h5'));
  writeFileSync(at('big.png'), bombs.pngBomb(20000, 20000));
  writeFileSync(at('big.jpg'), bombs.jpegHeader(30000, 30000));
  bombs.linkToDevZero(at('devzero.png'));
  bombs.fifo(at('fifo.png'));
  bombs.linkToDevZero(at('devzero.keras'));
  bombs.fifo(at('fifo.h5'));
  // a real model directory (the tf.keras convnet, imported by the CLI) and hostile copies of it
  const imported = await runDigits(['import', bombs.KERAS_H5, '--out', 'base'], { cwd: work });
  expect(imported.code, imported.stderr).toBe(0);
  bombs.modelJsonWithUnits(at('base'), at('units-model'), 1_000_000);
  mkdirSync(at('devzero-model'));
  copyFileSync(at('base/weights.bin'), at('devzero-model/weights.bin'));
  bombs.linkToDevZero(at('devzero-model/model.json'));
  mkdirSync(at('fifo-model'));
  copyFileSync(at('base/model.json'), at('fifo-model/model.json'));
  bombs.fifo(at('fifo-model/weights.bin'));
  for (const name of readdirSync(work)) expect(lstatSync(at(name)).isFile() ? lstatSync(at(name)).size : 0).toBeLessThan(5 * 1024 * 1024);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every entry under `dir` without following links or opening FIFOs: regular files by content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const path = join(dir, name);
    const info = lstatSync(path);
    if (info.isSymbolicLink()) out[name] = `link -> ${readlinkSync(path)}`;
    else if (info.isFile()) out[name] = createHash('sha256').update(readFileSync(path)).digest('hex');
    else out[name] = info.isDirectory() ? 'dir' : info.isFIFO() ? 'fifo' : 'other';
  }
  return out;
}

const cases: [name: string, args: string[], message: RegExp][] = [
  ['IDX .gz of 2 MB inflating to 2 GiB', ['inspect', '--dataset', 'idx-bomb'], /idx-bomb\/train-images-idx3-ubyte\.gz: the gzip data inflates to more than the 47040016 bytes its IDX header \[60000, 28, 28\] declares.* \[DECOMPRESSION_LIMIT\]$/],
  ['IDX .gz whose header declares 2 GiB', ['inspect', '--dataset', 'idx-huge-header'], /train-images-idx3-ubyte\.gz: the IDX header \[2739000, 28, 28\] of uint8 declares 2147376016 bytes, more than the 268435456-byte limit \[SHAPE_LIMIT\]$/],
  ['IDX file that is a link to /dev/zero', ['inspect', '--dataset', 'idx-devzero'], /train-images-idx3-ubyte: not a regular file but a character device; only regular files are read \[NOT_A_REGULAR_FILE\]$/],
  ['IDX file that is a FIFO', ['inspect', '--dataset', 'idx-fifo'], /train-images-idx3-ubyte: not a regular file but a FIFO \(named pipe\).* \[NOT_A_REGULAR_FILE\]$/],
  ['.keras whose model.weights.h5 lies about its size (1 MB declared, 1.5 GiB inflated)', ['import', 'lying-member.keras', '--out', 'out'], /lying-member\.keras: zip member model\.weights\.h5 inflates to more than the 1048576 bytes it declares \[DECOMPRESSION_LIMIT\]$/],
  ['.keras whose Dense layer says units: 1000000', ['import', 'units.keras', '--out', 'out'], /units\.keras: layer "dense" \(Dense\) declares units 1000000, more than the limit of 65536 \[SHAPE_LIMIT\]$/],
  ['model.json whose Dense layer says units: 1000000', ['predict', '--model', 'units-model', '--index', '0'], /units-model\/model\.json: layer "dense" \(Dense\) declares units 1000000, more than the limit of 65536 \[SHAPE_LIMIT\]$/],
  ['.h5 with an empty 21000 x 21000 weight dataset', ['import', 'empty-dataset.h5', '--out', 'out'], /empty-dataset\.h5: weight "dense\/dense\/empty:0" has shape \[21000, 21000\].* \[SHAPE_LIMIT\]$/],
  ['20000 x 20000 PNG of 0.4 MB', ['predict', 'big.png', '--model', 'base'], /big\.png: the image is 20000 x 20000 pixels \(381\.5 MP\), more than the 40\.0 MP limit \[IMAGE_TOO_LARGE\]$/],
  ['JPEG header claiming 30000 x 30000', ['predict', 'big.jpg', '--model', 'base'], /big\.jpg: the image is 30000 x 30000 pixels .* \[IMAGE_TOO_LARGE\]$/],
  ['image that is a link to /dev/zero', ['predict', 'devzero.png', '--model', 'base'], /devzero\.png: not a regular file but a character device.* \[NOT_A_REGULAR_FILE\]$/],
  ['image that is a FIFO', ['predict', 'fifo.png', '--model', 'base'], /fifo\.png: not a regular file but a FIFO.* \[NOT_A_REGULAR_FILE\]$/],
  ['.keras that is a link to /dev/zero', ['import', 'devzero.keras', '--out', 'out'], /devzero\.keras: not a regular file but a character device.* \[NOT_A_REGULAR_FILE\]$/],
  ['.h5 that is a FIFO', ['import', 'fifo.h5', '--out', 'out'], /fifo\.h5: not a regular file but a FIFO.* \[NOT_A_REGULAR_FILE\]$/],
  ['model.json that is a link to /dev/zero', ['predict', '--model', 'devzero-model', '--index', '0'], /devzero-model\/model\.json: not a regular file but a character device.* \[NOT_A_REGULAR_FILE\]$/],
  ['weights that are a FIFO', ['predict', '--model', 'fifo-model', '--index', '0'], /fifo-model\/weights\.bin: not a regular file but a FIFO.* \[NOT_A_REGULAR_FILE\]$/],
];

// The failing cases write nothing, so they can run side by side (each child's memory is its own).
describe.concurrent('hostile inputs end in seconds, under 1 GB, with one coded error line and no file changed', () => {
  it.for(cases)('%s', async ([, args, message], { expect }) => {
    const before = snapshot(work);
    const result = await runDigits(args, { cwd: work, measure: true, timeoutMs: TIMEOUT_MS });
    expect(result.timedOut, 'timed out').toBeUndefined();
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^digits: error: /);
    expect(lines[0]).toMatch(message);
    expect(result.maxRssKb).toBeLessThan(GB_KB);
    expect(snapshot(work)).toEqual(before);
  });
});

describe('a member it does not use costs nothing', () => {
  it('a .keras with an unused 1.5 GiB member imports without inflating it', async () => {
    const before = snapshot(work);
    const result = await runDigits(['import', 'unused-member.keras', '--out', 'from-unused'], { cwd: work, measure: true, timeoutMs: TIMEOUT_MS });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Imported unused-member\.keras \(\d+ layers, [\d,]+ parameters\) into from-unused/);
    expect(result.maxRssKb).toBeLessThan(GB_KB);
    const after = snapshot(work);
    for (const name of Object.keys(after).filter((n) => n.startsWith('from-unused'))) delete after[name];
    expect(after).toEqual(before);
    unlinkSync(join(work, 'from-unused', 'model.json'));
  });
});
