/**
 * GPU verification (issue 15): trains the tutorial MLP and the CNN for a few epochs on the real MNIST
 * with the backends named (WebGPU, the CPU engine), and prints seconds per epoch, the backend's own
 * line (for WebGPU: the adapter) and the test accuracy, each run as one JSON line. Runs from the
 * sources (`tsx --conditions=@digits/source bench/gpu-verify.ts`) or as the single-file bundle that
 * bench/gpu-verify.sh builds for a machine without a registry; that script runs one process per
 * backend, so a crash or hang in Dawn cannot cost the CPU figures, and then `--summary` over both.
 *
 *   gpu-verify [--data DIR] [--backends webgpu,engine] [--models mlp,cnn] [--epochs 3]
 *              [--cnn-epochs 2] [--tutorial-epochs 0] [--max-seconds 240] [--json FILE]
 *              [--train-count N] [--wasm-dir DIR/]
 *              [--allow-software] [--dawn backend=opengles --feature-level compatibility]
 *   gpu-verify --summary webgpu.json engine.json    (the figures against the goals, one JSON)
 * (--allow-software ...: a smoke test on Mesa's software OpenGL ES, with EGL_PLATFORM=surfaceless)
 */
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '@digits/mnist-data/node';
import { normalize, takeFirst, type Split } from '@digits/mnist-data';
import { backendNames, createCnn, createMlp, selectBackend, train } from '../src/index';
import { probeWebGpu, type WebGpuOptions } from '../src/backends/webgpu-probe';

type ModelKind = 'mlp' | 'cnn' | 'tutorial';

interface Run {
  backend: string;
  /** The backend's own line: for WebGPU the adapter ('WebGPU (Dawn) on nvidia hopper (NVIDIA H200)'). */
  reason: string;
  /** 'tutorial' is the MLP trained for --tutorial-epochs (the Keras tutorial's 20), for its accuracy. */
  model: ModelKind;
  /** What trained the batches ('tfjs' = the selected tfjs backend, or e.g. 'engine'). */
  trainer?: string;
  epochs: number;
  secondsPerEpoch: number[];
  /** Mean of epochs 2+ (epoch 1 includes compiling shaders / warming up); epoch 1 when it is the only one. */
  steadySecondsPerEpoch?: number;
  testAccuracy: number;
  /** When the cap stopped it inside its first epoch: the pace of the batches done, scaled to an epoch. */
  partialEpoch?: { batches: number; of: number; seconds: number; estimatedSecondsPerEpoch: number };
  stopped?: string;
  error?: string;
}

interface Report {
  node: string;
  runs: Run[];
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

const steady = (seconds: number[]): number | undefined => {
  const counted = seconds.length > 1 ? seconds.slice(1) : seconds;
  return counted.length ? counted.reduce((a, b) => a + b, 0) / counted.length : undefined;
};

async function measure(): Promise<void> {
  const dataDir = flag('data', '');
  const wasmDir = flag('wasm-dir', '');
  const cpuBackend = backendNames().includes('engine') ? 'engine' : 'wasm';
  const backends = flag('backends', `webgpu,${cpuBackend}`).split(',');
  const models = flag('models', 'mlp,cnn').split(',') as ModelKind[];
  const tutorialEpochs = Number(flag('tutorial-epochs', '0'));
  if (tutorialEpochs > 0) models.push('tutorial');
  const epochs: Record<ModelKind, number> = { mlp: Number(flag('epochs', '3')), cnn: Number(flag('cnn-epochs', '2')), tutorial: tutorialEpochs };
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
  if (backends.includes('webgpu')) console.log(`probeWebGpu: ${JSON.stringify(await probeWebGpu(webgpu))}`);
  const data = await loadMnist(dataDir ? { dataset: dataDir } : { source: 'embedded' });
  const trainCount = Number(flag('train-count', String(data.train.count)));
  if (trainCount < data.train.count) data.train = takeFirst(data.train, trainCount);
  console.log(`data: ${data.train.count} train, ${data.test.count} test images`);

  const report: Report = { node: process.version, runs: [] };
  const json = flag('json', '');
  const save = async () => {
    if (!json) return;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(json, JSON.stringify(report, null, 2));
  };
  for (const backend of backends) {
    let choice;
    try {
      choice = await selectBackend(backend, { webgpu, ...(wasmDir ? { wasmPaths: wasmDir } : {}) });
    } catch (error) {
      const message = (error as Error).message;
      console.log(`${backend}: unavailable: ${message}`);
      report.runs.push({ backend, reason: '', model: 'mlp', epochs: 0, secondsPerEpoch: [], testAccuracy: NaN, error: `unavailable: ${message}` });
      await save();
      continue;
    }
    console.log(`\n== ${backend}: ${choice.reason}`);
    for (const kind of models) {
      const model = kind === 'cnn' ? createCnn({ seed: 1 }) : createMlp({ seed: 1 });
      const run: Run = { backend, reason: choice.reason, model: kind, epochs: 0, secondsPerEpoch: [], testAccuracy: NaN };
      let epochStart = performance.now();
      let progress = { batches: 0, of: 0, seconds: 0 };
      try {
        const history = await train(model, data.train, {
          epochs: epochs[kind],
          batchSize: 128,
          seed: 1,
          validationSplit: 0,
          signal: AbortSignal.timeout(maxSeconds * 1000),
          onBatchEnd: (batch, batches) => (progress = { batches: batch + 1, of: batches, seconds: (performance.now() - epochStart) / 1000 }),
          onEpochEnd: (log) => {
            epochStart = performance.now();
            console.log(`  ${kind} epoch ${log.epoch}: ${log.seconds.toFixed(2)} s, loss ${log.loss.toFixed(4)}, acc ${log.acc.toFixed(4)}`);
          },
        });
        run.trainer = history.trainer;
        run.epochs = history.epochs.length;
        run.secondsPerEpoch = history.epochs.map((e) => e.seconds);
        const mean = steady(run.secondsPerEpoch);
        if (mean !== undefined) run.steadySecondsPerEpoch = mean;
        if (history.epochs.length === 0 && progress.batches > 0) {
          run.partialEpoch = { ...progress, estimatedSecondsPerEpoch: (progress.seconds * progress.of) / progress.batches };
        }
        if (history.stopped) run.stopped = history.stopped === 'aborted' ? `stopped after ${maxSeconds} s (--max-seconds)` : history.stopped;
        const inputShape = model.inputs[0]!.shape.slice(1) as number[];
        run.testAccuracy = await accuracy(model, data.test, inputShape);
      } catch (error) {
        run.error = (error as Error).message.split('\n')[0];
      }
      model.dispose();
      console.log(JSON.stringify(run));
      report.runs.push(run);
      await save();
    }
  }

  console.log('\n| backend | trainer | model | epochs | s/epoch (mean of epochs 2+) | test accuracy |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const run of report.runs) {
    const note = run.error ? ` (error: ${run.error})` : run.stopped ? ` (${run.stopped})` : '';
    console.log(
      `| ${run.backend} | ${run.trainer ?? '-'} | ${run.model} | ${run.epochs} | ${run.steadySecondsPerEpoch?.toFixed(2) ?? '-'} | ${(run.testAccuracy * 100).toFixed(2)}%${note} |`,
    );
  }
}

/** The figures of both processes against the goals, as one JSON object on stdout. */
async function summarize(files: string[]): Promise<void> {
  const { existsSync, readFileSync } = await import('node:fs');
  const runs = files.flatMap((file) => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Report).runs : []));
  const find = (backend: string, model: ModelKind) => runs.find((r) => r.backend === backend && r.model === model);
  const gpu = { mlp: find('webgpu', 'mlp'), cnn: find('webgpu', 'cnn'), tutorial: find('webgpu', 'tutorial') };
  const cpuName = runs.find((r) => r.backend !== 'webgpu')?.backend ?? 'engine';
  const cpu = { mlp: find(cpuName, 'mlp'), cnn: find(cpuName, 'cnn') };
  // Whole epochs where there are any; else the pace of a first epoch cut short by its cap.
  const pace = (r?: Run) => r?.steadySecondsPerEpoch ?? r?.partialEpoch?.estimatedSecondsPerEpoch;
  const speedup = (g?: Run, c?: Run) => (pace(g) && pace(c) ? Number((pace(c)! / pace(g)!).toFixed(2)) : null);
  const seconds = (r?: Run) => (pace(r) === undefined ? null : Number(pace(r)!.toFixed(3)));
  const accuracyOf = (r?: Run) => (r && Number.isFinite(r.testAccuracy) ? r.testAccuracy : null);
  const mlpSpeedup = speedup(gpu.mlp, cpu.mlp);
  const cnnSpeedup = speedup(gpu.cnn, cpu.cnn);
  const summary = {
    adapter: gpu.mlp?.reason || null,
    webgpuError: gpu.mlp?.error ?? null,
    cpuBackend: cpu.mlp?.reason || cpuName,
    secondsPerEpoch: {
      webgpu: { mlp: seconds(gpu.mlp), cnn: seconds(gpu.cnn), tutorial: seconds(gpu.tutorial) },
      [cpuName]: { mlp: seconds(cpu.mlp), cnn: seconds(cpu.cnn) },
    },
    testAccuracy: {
      webgpu: { mlp: accuracyOf(gpu.mlp), cnn: accuracyOf(gpu.cnn), tutorial: accuracyOf(gpu.tutorial), tutorialEpochs: gpu.tutorial?.epochs ?? 0 },
      [cpuName]: { mlp: accuracyOf(cpu.mlp), cnn: accuracyOf(cpu.cnn) },
    },
    speedup: { mlp: mlpSpeedup, cnn: cnnSpeedup },
    goals: {
      'mlp epoch <= 1 s on webgpu': seconds(gpu.mlp) === null ? null : seconds(gpu.mlp)! <= 1,
      'cnn epoch <= 3 s on webgpu': seconds(gpu.cnn) === null ? null : seconds(gpu.cnn)! <= 3,
      'mlp >= 3x the cpu engine': mlpSpeedup === null ? null : mlpSpeedup >= 3,
      'cnn >= 3x the cpu engine': cnnSpeedup === null ? null : cnnSpeedup >= 3,
      '20-epoch tutorial >= 98.2%': gpu.tutorial && gpu.tutorial.epochs >= 20 ? gpu.tutorial.testAccuracy >= 0.982 : null,
    },
  };
  console.log(JSON.stringify(summary));
}

if (process.argv.includes('--summary')) await summarize(process.argv.slice(process.argv.indexOf('--summary') + 1));
else await measure();
// Dawn keeps the process alive while a device exists.
process.exit(0);
