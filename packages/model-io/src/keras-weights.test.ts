import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadH5wasm } from './h5';
import { importKeras } from './keras-import';
import { readFixture } from './test-utils/fixtures';

const CONVNET = 'tfkeras2.6.0_mnist_convnet.full.h5';

/**
 * The real tf.keras convnet with its Dense kernel swapped for an empty, chunked float32 dataset of
 * `shape`: HDF5 stores no chunk that was never written, so the file stays small however large the
 * shape (reading it would return fill values, i.e. allocate the whole shape).
 */
async function convnetWithEmptyKernel(shape: [number, number]): Promise<Uint8Array> {
  const h5wasm = await loadH5wasm();
  const name = `/empty-kernel-${shape.join('x')}.h5`;
  h5wasm.FS!.writeFile(name, readFixture(CONVNET));
  const file = new h5wasm.File(name, 'a');
  const layer = file.get('model_weights/dense') as InstanceType<typeof h5wasm.Group>;
  const group = file.get('model_weights/dense/dense') as InstanceType<typeof h5wasm.Group>;
  group.create_dataset({ name: 'empty:0', data: new Float32Array(1), shape: [1, 1], maxshape: [null, null], chunks: [64, 64] }).resize(shape);
  layer.delete_attribute('weight_names');
  layer.create_attribute('weight_names', ['dense/empty:0', 'dense/bias:0']);
  file.close();
  const bytes = h5wasm.FS!.readFile(name) as Uint8Array;
  h5wasm.FS!.unlink(name);
  return bytes;
}

describe('HDF5 weight datasets are checked from their headers before a value is read', () => {
  it('a 21000 x 21000 dataset (441 M values) in a small file: SHAPE_LIMIT, nothing allocated', async () => {
    const bytes = await convnetWithEmptyKernel([21000, 21000]);
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    const tensors = tf.memory().numTensors;
    const rss = process.memoryUsage().rss;
    const error = await importKeras(bytes, { fileName: 'empty.h5' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SHAPE_LIMIT', file: 'empty.h5' });
    expect((error as Error).message).toMatch(/weight "dense\/dense\/empty:0" has shape \[21000, 21000\]: with it the file's weights pass the limit of 33,554,432 parameters/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
  });

  it('an uncompressed dataset under the parameter limit but larger than the whole file: MODEL_WEIGHTS_INVALID', async () => {
    const error = await importKeras(await convnetWithEmptyKernel([4000, 4000]), { fileName: 'hollow.h5' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_WEIGHTS_INVALID' });
    expect((error as Error).message).toMatch(/weight "dense\/dense\/empty:0" declares 64000000 bytes of uncompressed data but the file has only \d+ bytes \(its data is not stored\)/);
  });
});
