// Child process for the worker-shutdown test: trains one small epoch on two engine threads, then
// disposes the session or (argv[2] === 'leak') forgets it. Either way the process must exit alone.
// argv[2] === 'switch': predicts through the selected engine backend, then selects wasm, whose
// release of the engine's workers must settle (it once left the top-level await pending: exit 13).
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../backends/select';
import { createMlp } from '../../models';
import { predictProbabilities } from '../../predict';

if (process.argv[2] === 'switch') {
  await selectBackend('engine');
  const probabilities = predictProbabilities(createMlp({ hiddenUnits: [16], seed: 1 }), new Float32Array(4 * 784).fill(0.5));
  const after = await selectBackend('wasm');
  console.log(JSON.stringify({ threads: `switched to ${after.name}`, loss: probabilities.reduce((a, b) => a + b, 0) }));
  process.exit(0);
}
import { EngineRuntime } from '../runtime';
import type { TrainerSession } from '../../trainer';

await tf.setBackend('cpu');
const runtime = new EngineRuntime({ threads: 2 });
const model = createMlp({ hiddenUnits: [16], seed: 1 });
const session = runtime.trainer.begin({ model, batchSize: 8, seed: 1, backend: 'cpu' }) as TrainerSession & { engineInfo?: { threads: number } };
const images = new Uint8Array(32 * 784).map((_, i) => (i * 7) % 256);
const labels = new Uint8Array(32).map((_, i) => i % 10);
const result = await session.trainEpoch({
  epoch: 1, images, labels, pixels: 784, order: Uint32Array.from({ length: 32 }, (_, i) => i), batchSize: 8, onBatchEnd() {},
});
if (process.argv[2] !== 'leak') await session.dispose();
console.log(JSON.stringify({ threads: session.engineInfo?.threads ?? 'disposed', loss: result.loss }));
