/**
 * GPU verification (issue 8): trains the tutorial MLP and the CNN for a few epochs on the real MNIST
 * with WebGPU and with the CPU engine, in one process on one machine, and prints seconds per epoch,
 * the adapter and the test accuracy. Runs from the sources (`tsx bench/gpu-verify.ts`) or as the
 * single-file bundle that bench/gpu-verify.sh builds for a machine without a registry.
 *
 *   gpu-verify [--data DIR] [--backends webgpu,engine] [--models mlp,cnn] [--epochs 3]
 *              [--cnn-epochs 2] [--max-seconds 240] [--json FILE] [--train-count N] [--wasm-dir DIR/]
 *              [--allow-software] [--dawn backend=opengles --feature-level compatibility]
 * (the last line: a smoke test on Mesa's software OpenGL ES, with EGL_PLATFORM=surfaceless)
 */
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '@digits/mnist-data/node';
import { normalize, takeFirst, type Split } from '@digits/mnist-data';
import { backendNames, createCnn, createMlp, selectBackend, train } from '../src/index';
import { probeWebGpu, type WebGpuOptions } from '../src/backends/webgpu-probe';

interface Run {
  backend: string;
  reason: string;
  model: 'mlp' | 'cnn';
  /** What trained the batches ('tfjs' = the selected tfjs backend, or e.g. 'engine'). */
  trainer?: string;
  epochs: number;
  secondsPerEpoch: number[];
  testAccuracy: number;
  stopped?: string;
  error?: string;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

// Static imports, so that a bundler inlines tfjs-backend-webgpu (one copy of tfjs-core) while
// `webgpu` (a native addon) stays external and is found beside the bundle.
const importer = async (name: string): Promise<unknown> =>
  name === 'webgpu' ? import('webgpu') : import('@tensorflow/tfjs-backend-webgpu');

/** Test accuracy with asynchronous reads only (WebGPU on Node cannot read synchronously). */
async function accuracy(model: tf.LayersModel, split: Split, shape: number[]): Promise<number> {
  let correct = 0;
  for (let start = 0; start < split.count; start += 1000) {
    const n = Math.min(1000, split.count - start);
    const predicted = tf.tidy(() => {
      const x = tf.tensor(normalize(split.images.subarray(start * 784, (start + n) * 784)), [n, ...shape]);
      return (model.predict(x) as tf.Tensor).argMax(-1);
    });
    const classes = await predicted.data();
    predicted.dispose();
    classes.forEach((c, i) => (correct += c === split.labels[start + i] ? 1 : 0));
  }
  return correct / split.count;
}

async function main(): Promise<void> {
  const dataDir = flag('data', '');
  const wasmDir = flag('wasm-dir', '');
  const cpuBackend = backendNames().includes('engine') ? 'engine' : 'wasm';
  const backends = flag('backends', `webgpu,${cpuBackend}`).split(',');
  const models = flag('models', 'mlp,cnn').split(',') as ('mlp' | 'cnn')[];
  const epochs = { mlp: Number(flag('epochs', '3')), cnn: Number(flag('cnn-epochs', '2')) };
  const maxSeconds = Number(flag('max-seconds', '240'));
  const dawn = flag('dawn', '');
  const featureLevel = flag('feature-level', '');
  const webgpu: WebGpuOptions = {
    importer,
    allowSoftware: process.argv.includes('--allow-software'),
    ...(dawn ? { dawnOptions: dawn.split(' ') } : {}),
    ...(featureLevel ? { featureLevel: featureLevel as 'compatibility' } : {}),
  };

  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}, ${new Date().toISOString()}`);
  console.log(`probeWebGpu: ${JSON.stringify(await probeWebGpu(webgpu))}`);
  const data = await loadMnist(dataDir ? { dataset: dataDir } : { source: 'embedded' });
  const trainCount = Number(flag('train-count', String(data.train.count)));
  if (trainCount < data.train.count) data.train = takeFirst(data.train, trainCount);
  console.log(`data: ${data.train.count} train, ${data.test.count} test images`);

  const runs: Run[] = [];
  for (const backend of backends) {
    let choice;
    try {
      choice = await selectBackend(backend, { webgpu, ...(wasmDir ? { wasmPaths: wasmDir } : {}) });
    } catch (error) {
      console.log(`${backend}: unavailable: ${(error as Error).message}`);
      runs.push({ backend, reason: '', model: 'mlp', epochs: 0, secondsPerEpoch: [], testAccuracy: NaN, error: (error as Error).message });
      continue;
    }
    console.log(`\n== ${backend}: ${choice.reason}`);
    for (const kind of models) {
      const model = kind === 'mlp' ? createMlp({ seed: 1 }) : createCnn({ seed: 1 });
      const run: Run = { backend, reason: choice.reason, model: kind, epochs: 0, secondsPerEpoch: [], testAccuracy: NaN };
      try {
        const history = await train(model, data.train, {
          epochs: epochs[kind],
          batchSize: 128,
          seed: 1,
          validationSplit: 0,
          signal: AbortSignal.timeout(maxSeconds * 1000),
          onEpochEnd: (log) => console.log(`  ${kind} epoch ${log.epoch}: ${log.seconds.toFixed(2)} s, loss ${log.loss.toFixed(4)}, acc ${log.acc.toFixed(4)}`),
        });
        run.trainer = history.trainer;
        run.epochs = history.epochs.length;
        run.secondsPerEpoch = history.epochs.map((e) => e.seconds);
        if (history.stopped) run.stopped = history.stopped;
        const inputShape = model.inputs[0]!.shape.slice(1) as number[];
        run.testAccuracy = await accuracy(model, data.test, inputShape);
      } catch (error) {
        run.error = (error as Error).message;
      }
      model.dispose();
      console.log(`  ${kind}: ${JSON.stringify(run)}`);
      runs.push(run);
    }
  }

  console.log('\n| backend | trainer | model | epochs | s/epoch (mean of epochs 2+) | test accuracy |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const run of runs) {
    const steady = run.secondsPerEpoch.length > 1 ? run.secondsPerEpoch.slice(1) : run.secondsPerEpoch;
    const mean = steady.length ? (steady.reduce((a, b) => a + b, 0) / steady.length).toFixed(2) : '-';
    const note = run.error ? ` (error: ${run.error.split('\n')[0]})` : run.stopped ? ` (${run.stopped})` : '';
    console.log(`| ${run.backend} | ${run.trainer ?? '-'} | ${run.model} | ${run.epochs} | ${mean} | ${(run.testAccuracy * 100).toFixed(2)}%${note} |`);
  }
  const json = flag('json', '');
  if (json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(json, JSON.stringify({ runs, node: process.version }, null, 2));
  }
}

await main();
// Dawn keeps the process alive while a device exists.
process.exit(0);
