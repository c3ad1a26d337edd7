import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '@digits/mnist-data/node';
import type { Dataset } from '@digits/mnist-data';
import { launchChromium, openApp } from './browser';
import { mnistPng } from './mnist-png';
import { nodeReferenceAccuracy } from './node-reference';
import { dropFiles as dropOn, drawWithMouse, ellipse, predictionAfter as after, predictions as count, visibleMessage, type Stroke } from './page-helpers';
import { serveStatic } from './static-server';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '../dist');
const repoRoot = resolve(here, '../../..');
const KERAS_DIR = resolve(repoRoot, '../shared/fixtures/keras');
const KERAS_FIXTURE = resolve(KERAS_DIR, 'tfkeras2.6.0_mnist_convnet.full.h5');
const OUTPUT = join(here, '.output');

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let mnist: Dataset;
let pageErrors: string[];

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} has no build: run \`pnpm --filter @digits/web build\` first`);
  mnist = await loadMnist({ dataset: 'mnist', source: 'embedded' });
  server = await serveStatic(dist, '/deploy/digits/');
  ({ browser, page, pageErrors } = await openApp(server.url));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const draw = (strokes: Stroke[]) => drawWithMouse(page, strokes);
const predictionAfter = (before: number) => after(page, before);
const predictions = () => count(page);
const dropFiles = (files: { name: string; bytes: Buffer; type?: string }[]) => dropOn(page, files);

async function clearPad(): Promise<void> {
  await page.click('#clear');
  await expect.poll(() => page.locator('#top-digit').textContent()).toBe('–');
}

async function uploadPng(name: string, buffer: Buffer): Promise<number> {
  const before = await predictions();
  await page.setInputFiles('#image-file', { name, mimeType: 'image/png', buffer });
  return predictionAfter(before);
}

const message = () => visibleMessage(page);

describe('the digits web app, in Chromium, served from a sub-path', () => {
  it('starts with a backend, the default model and its card, and a grid of test digits', async () => {
    const backend = await page.locator('#backend').textContent();
    expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(backend);
    expect(await page.locator('#model-name').textContent()).toContain('default model');
    // the default model is the CNN: the digits engine runs it on the engine backend (shown as wasm), tfjs elsewhere
    expect(await page.locator('#model-name').getAttribute('data-runs-on')).toMatch(backend === 'wasm' ? /^the digits engine$/ : /^tfjs: /);
    // the card shown is the one stored in the served model.json, and its figures agree with the weights
    const stored = JSON.parse(await readFile(join(dist, 'models/default/model.json'), 'utf8'));
    const card = JSON.parse((await page.locator('#model-card').textContent())!);
    expect(card).toEqual(stored.userDefinedMetadata.digitsModelCard);
    const weights = stored.weightsManifest.flatMap((group: { weights: { shape: number[] }[] }) => group.weights);
    expect(card.parameters).toBe(weights.reduce((n: number, w: { shape: number[] }) => n + w.shape.reduce((a, b) => a * b, 1), 0));
    expect(card.architecture.layers.reduce((n: number, l: { parameters: number }) => n + l.parameters, 0)).toBe(card.parameters);
    expect(card.history).toHaveLength(card.training.completedEpochs);
    expect(card.testAccuracy).toBeGreaterThan(0.98);
    expect(card.versions['@tensorflow/tfjs']).toBe('4.22.0');
    // what loaded before the first prediction: no training code, no charts, no h5wasm, no MNIST data
    const early = await page.evaluate(() => {
      const ready = (window as any).digitsApp.readyMs as number;
      return performance.getEntriesByType('resource').filter((e) => e.startTime < ready).map((e) => new URL(e.name).pathname);
    });
    expect(early.some((path) => path.endsWith('.js'))).toBe(true);
    expect(early.filter((path) => /hdf5|train-view|keras-source|\/data\//.test(path))).toEqual([]);
    await page.waitForSelector('#grid li');
    const items = page.locator('#grid li');
    expect(await items.count()).toBe(24);
    const wrong = await page.locator('#grid li.wrong').count();
    const labels = await items.evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.label, (el as HTMLElement).dataset.predicted]));
    expect(labels.filter(([l, p]) => l !== p).length).toBe(wrong);
    expect(wrong).toBeLessThanOrEqual(4); // a ~98% model rarely misses 5 of 24
    expect(await page.locator('#grid-summary').textContent()).toMatch(/of 24 right/);
  });

  it('precaches for offline use only after the first prediction, and downloads no file twice', async () => {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
    const registeredAfter = await page.evaluate(() => {
      const sw = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/sw.js'));
      return sw ? sw.startTime - (window as any).digitsApp.readyMs : null;
    });
    if (registeredAfter !== null) expect(registeredAfter).toBeGreaterThan(0);
    // every file of the build is in the cache now, and each crossed the wire once (this host sends
    // no ETag or Last-Modified: the worker took what the page had loaded from the HTTP cache)
    const files = (await readdir(dist, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.name !== '_headers' && e.name !== 'sw.js')
      .map((e) => relative(dist, join(e.parentPath, e.name)).split(sep).join('/'))
      .map((f) => (f === 'index.html' ? '' : f));
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const cache = await caches.open(keys.find((k) => k.startsWith('digits-'))!);
      return (await cache.keys()).map((r) => new URL(r.url).pathname);
    });
    expect(cached.map((path) => path.slice('/deploy/digits/'.length)).sort()).toEqual([...files].sort());
    expect([...server.requests].filter(([, n]) => n > 1)).toEqual([]);
    expect(files.filter((f) => !server.requests.has(f))).toEqual([]);
  });

  it('labels every control and works from the keyboard', async () => {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')]
        .filter((el) => (el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.id || el.name),
    );
    expect(unlabelled).toEqual([]);
    await page.focus('#tab-train');
    await page.keyboard.press('Enter');
    expect(await page.locator('#view-train').isVisible()).toBe(true);
    expect(await page.locator('#tab-train').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Space');
    expect(await page.locator('#view-draw').isVisible()).toBe(true);
    // The focus ring is drawn (outline), not left to the browser default.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
  });

  it('draws with the keyboard alone: arrow keys move the pen, Enter puts it down and lifts it', async () => {
    await clearPad();
    await page.focus('#pad');
    const before = await predictions();
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowUp'); // from the centre to near the top
    await page.keyboard.press('Enter');
    for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await predictionAfter(before)).toBe(1);
    expect(await page.locator('.pen-cursor').isVisible()).toBe(true);
    // a 0: an open square of arrow-key moves (Shift: three steps at a time)
    await page.keyboard.press('Delete');
    await expect.poll(() => page.locator('#top-digit').textContent()).toBe('–');
    const next = await predictions();
    const press = async (key: string, times: number) => {
      for (let i = 0; i < times; i++) await page.keyboard.press(key);
    };
    await press('ArrowUp', 12); // the pen stays where it was lifted, (0.5, 0.8): to (0.5, 0.2), then (0.3, 0.2)
    await press('ArrowLeft', 4);
    await page.keyboard.press('Space');
    await press('Shift+ArrowRight', 3); // Shift: three steps at a time
    await press('ArrowDown', 12);
    await press('Shift+ArrowLeft', 3);
    await press('ArrowUp', 12);
    await page.keyboard.press('Space');
    expect(await predictionAfter(next)).toBe(0);
  });

  it('reads a 1, a 0 and a 7 drawn off-centre at different sizes', async () => {
    const cases: { digit: number; strokes: Stroke[] }[] = [
      { digit: 1, strokes: [[[0.3, 0.12], [0.29, 0.35], [0.28, 0.55], [0.27, 0.72]]] },
      { digit: 0, strokes: [ellipse(0.62, 0.58, 0.2, 0.3)] },
      { digit: 7, strokes: [[[0.12, 0.1], [0.3, 0.1], [0.5, 0.11], [0.45, 0.25], [0.38, 0.4], [0.32, 0.55]]] },
    ];
    await mkdir(OUTPUT, { recursive: true });
    for (const { digit, strokes } of cases) {
      await clearPad();
      const before = await predictions();
      await draw(strokes);
      expect(await predictionAfter(before), `drawn ${digit}`).toBe(digit);
      const preview = await page.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('#preview')!;
        const d = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) ink += d[i]! > 128 ? 1 : 0;
        return { width: c.width, ink };
      });
      expect(preview.width).toBe(28);
      expect(preview.ink).toBeGreaterThan(10);
      if (digit === 7) await page.screenshot({ path: join(OUTPUT, 'screenshot.png') });
    }
    const bars = await page.locator('#bars li .value').allTextContents();
    expect(bars).toHaveLength(10);
    expect(bars.reduce((s, v) => s + Number.parseInt(v, 10), 0)).toBeGreaterThanOrEqual(95);
  });

  it('reads uploaded and dropped PNGs of real test digits, dark on light and on a transparent background', async () => {
    const tensors = () => page.evaluate(() => (window as any).digitsApp.tensors() as number);
    const tensorsBefore = await tensors();
    for (const index of [0, 1, 2, 3, 4]) {
      const label = mnist.test.labels[index]!;
      expect(await uploadPng(`test-${index}.png`, mnistPng(mnist.test, index, 'dark-on-light')), `test image ${index}`).toBe(label);
      expect(await uploadPng(`test-${index}-alpha.png`, mnistPng(mnist.test, index, 'transparent')), `test image ${index} (alpha)`).toBe(label);
    }
    expect(await tensors()).toBe(tensorsBefore); // predictions leak no tensors

    const before = await predictions();
    await dropFiles([{ name: 'dropped.png', bytes: mnistPng(mnist.test, 6, 'dark-on-light', 6), type: 'image/png' }]);
    expect(await predictionAfter(before)).toBe(mnist.test.labels[6]);
  });

  it('reports bad inputs clearly and keeps working', async () => {
    await page.setInputFiles('#image-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
    await expect.poll(() => message().getAttribute('data-kind')).toBe('error');
    expect(await message().textContent()).toMatch(/notes\.txt.*not an image/);

    await page.fill('#model-url', new URL('models/missing/model.json', server.url).href);
    await page.click('#url-form button[type="submit"]');
    await expect.poll(() => message().textContent()).toMatch(/Could not load the model: .*missing\/model\.json/);
    expect(await message().getAttribute('data-kind')).toBe('error');

    await dropFiles([{ name: 'shopping-list.txt', bytes: Buffer.from('eggs, milk'), type: 'text/plain' }]);
    await expect.poll(() => message().textContent()).toMatch(/shopping-list\.txt.*not a model/);
    await dropFiles([{ name: 'fake.h5', bytes: Buffer.from('this is not HDF5 at all') }]);
    await expect.poll(() => message().textContent()).toMatch(/^Could not load the model: fake\.h5/);
    expect(await message().getAttribute('data-kind')).toBe('error');
    // one name per message, said once
    expect((await message().textContent())!.match(/fake\.h5/g)).toHaveLength(1);
    // a weights-only Keras file alone: what to drop with it, in the visitor's words
    await dropFiles([{ name: 'keras2.0.6_tf_mnist_mlp.weights.h5', bytes: await readFile(join(KERAS_DIR, 'keras2.0.6_tf_mnist_mlp.weights.h5')) }]);
    await expect.poll(() => message().textContent(), { timeout: 30_000 }).toMatch(/only weights.*together with its architecture/);
    expect(await message().textContent()).not.toMatch(/configJson/);
    // a real Keras model that takes 4 inputs and gives 6: refused on loading, the file named once
    await dropFiles([{ name: 'dense4x6.h5', bytes: await readFile(join(KERAS_DIR, 'keras1.2.2_tf_dense4x6.full.h5')) }]);
    await expect.poll(() => message().textContent()).toMatch(/^Could not load (the model )?dense4x6\.h5: this model cannot classify 28x28 digits: the model takes inputs of shape \[4\]/);
    expect((await message().textContent())!.split('dense4x6.h5')).toHaveLength(2);
    // errors stay until dismissed
    await message().locator('button.dismiss').click();
    expect(await message().count()).toBe(0);

    expect(await page.locator('#model-name').textContent()).toContain('default model');
    const label = mnist.test.labels[7]!;
    expect(await uploadPng('still-works.png', mnistPng(mnist.test, 7, 'dark-on-light'))).toBe(label);
  });

  it('loads a tfjs model from a URL and from a model directory\'s files', async () => {
    const url = new URL('models/default/model.json', server.url).href;
    await page.fill('#model-url', url);
    await page.click('#url-form button[type="submit"]');
    await expect.poll(() => page.locator('#model-name').textContent()).toBe(url);
    expect(await message().getAttribute('data-kind')).toBe('info');
    expect(await uploadPng('by-url.png', mnistPng(mnist.test, 8, 'dark-on-light'))).toBe(mnist.test.labels[8]);

    const dir = join(dist, 'models/default');
    // Weights first on purpose: the app puts model.json first, as tfjs's browserFiles wants.
    await page.setInputFiles('#model-files', [join(dir, 'weights.bin'), join(dir, 'model.json')]);
    await expect.poll(() => page.locator('#model-name').textContent()).toBe('weights.bin, model.json');
    expect(JSON.parse((await page.locator('#model-card').textContent())!).training.arch).toBe('cnn');
    expect(await uploadPng('by-files.png', mnistPng(mnist.test, 9, 'transparent'))).toBe(mnist.test.labels[9]);
  });

  it('loads a Keras .h5 convnet dropped on the page (and a Keras 3 .keras file)', async () => {
    const keras3 = await readFile(resolve(KERAS_FIXTURE, '../keras3.11.1_mnist_cnn.keras'));
    await dropFiles([{ name: 'keras3.11.1_mnist_cnn.keras', bytes: keras3 }]);
    await expect.poll(() => page.locator('#model-name').textContent(), { timeout: 30_000 }).toContain('.keras');
    const bytes = await readFile(KERAS_FIXTURE);
    await dropFiles([{ name: 'tfkeras2.6.0_mnist_convnet.full.h5', bytes }]);
    await expect.poll(() => page.locator('#model-name').textContent(), { timeout: 30_000 }).toContain('convnet');
    const backend = await page.locator('#backend').textContent();
    expect(await page.locator('#model-name').getAttribute('data-runs-on')).toMatch(backend === 'wasm' ? /^the digits engine$/ : /^tfjs: /);
  });

  it('loads a Keras save_weights .h5 dropped together with its config.json', async () => {
    await dropFiles([
      { name: 'keras2.0.6_tf_mnist_mlp.weights.h5', bytes: await readFile(join(KERAS_DIR, 'keras2.0.6_tf_mnist_mlp.weights.h5')) },
      { name: 'keras2.0.6_tf_mnist_mlp.config.json', bytes: await readFile(join(KERAS_DIR, 'keras2.0.6_tf_mnist_mlp.config.json')), type: 'application/json' },
    ]);
    await expect.poll(() => page.locator('#model-name').textContent(), { timeout: 30_000 }).toBe(
      'keras2.0.6_tf_mnist_mlp.weights.h5 + keras2.0.6_tf_mnist_mlp.config.json',
    );
    for (const index of [0, 1, 2]) {
      expect(await uploadPng(`keras-mlp-${index}.png`, mnistPng(mnist.test, index, 'dark-on-light'))).toBe(mnist.test.labels[index]);
    }
  });

  /** Reads an image with the active model; an error shown in the page fails at once. */
  async function readOrFail(name: string, png: Buffer): Promise<number> {
    const before = await predictions();
    await page.setInputFiles('#image-file', { name, mimeType: 'image/png', buffer: png });
    await page.waitForFunction((n) => (window as any).digitsApp.predictions > n || document.querySelector('#message')?.getAttribute('data-kind') === 'error', before);
    expect(await message().getAttribute('data-kind'), (await message().textContent()) ?? '').toBe('info');
    return Number(await page.locator('#top-digit').textContent());
  }

  it('predicts with the dropped Keras convnet: test images and a drawn 0', async () => {
    for (const index of [0, 1, 2]) {
      expect(await readOrFail(`keras-${index}.png`, mnistPng(mnist.test, index, 'dark-on-light'))).toBe(mnist.test.labels[index]);
    }
    await clearPad();
    const before = await predictions();
    await draw([ellipse(0.45, 0.5, 0.22, 0.33)]);
    expect(await predictionAfter(before)).toBe(0);
  });

  it('trains the MLP for an epoch in the page with live charts, to the accuracy the same run reaches in Node', async () => {
    await page.click('#tab-train');
    await page.waitForSelector('#train-mode[data-threads]');
    // the watchable default: all 10,000 training images
    expect(await page.locator('#train-count').inputValue()).toBe('10000');
    const threads = Number(await page.locator('#train-mode').getAttribute('data-threads'));
    expect(threads).toBeGreaterThanOrEqual(1);
    await page.check('input[name="arch"][value="mlp"]');
    await page.selectOption('#train-count', '2000');
    await page.fill('#train-epochs', '1');
    await page.click('#train-start');
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 60_000 }).toMatch(/^Done/);
    const batches = Math.ceil(1800 / 64); // 2000 images less 10% validation, batches of 64
    expect(await page.locator('#charts').getAttribute('data-batches')).toBe(String(batches));
    expect(await page.locator('#charts').getAttribute('data-validation-points')).toBe('1');
    // real axes: uPlot draws tick labels on both axes, and the legend sits outside the plot
    for (const chart of await page.locator('#charts .chart').all()) {
      const axes = await chart.evaluate((el) => ({
        x: (el as HTMLElement).dataset.xTicks!.split(' '),
        y: (el as HTMLElement).dataset.yTicks!.split(' '),
        legendBelowPlot: el.querySelector('.u-legend')!.getBoundingClientRect().top >= el.querySelector('.u-over')!.getBoundingClientRect().bottom - 1,
      }));
      // ticks between the ends (the old chart labelled only min and max)
      expect(axes.x.length).toBeGreaterThanOrEqual(3);
      expect(axes.y.length).toBeGreaterThanOrEqual(3);
      expect(axes.legendBelowPlot).toBe(true);
    }
    expect(await page.locator('#epoch-log li').count()).toBe(1);
    expect(await page.locator('#model-name').textContent()).toBe('tutorial MLP trained here (1 epoch)');
    expect(await page.locator('#train-mode').getAttribute('data-threads-used')).toBe(String(threads));
    // the same seeded run in Node (the same engine, the same shards) reaches the same accuracy
    const inPage = Number(await page.locator('#train-status').getAttribute('data-accuracy'));
    expect(Math.abs(inPage - (await nodeReferenceAccuracy(mnist, threads)))).toBeLessThanOrEqual(0.005);
  });

  it('stops a CNN run mid-epoch and says how far it got', async () => {
    // Stop: a long CNN run, stopped after a few batches; the partly trained model becomes active.
    await page.check('input[name="arch"][value="cnn"]');
    await page.selectOption('#train-count', '10000');
    await page.fill('#train-epochs', '5');
    await page.fill('#train-batch', '32');
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.querySelector('#charts')?.getAttribute('data-batches') ?? 0) >= 3, null, {
      timeout: 60_000,
    });
    // The page stays responsive while training: timers keep firing. The library yields between
    // batches, so the longest gap is about one batch (a 64-image CNN batch took ~0.55 s here).
    const longestGap = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let last = performance.now();
          let longest = 0;
          const timer = setInterval(() => {
            const now = performance.now();
            longest = Math.max(longest, now - last);
            last = now;
          }, 20);
          setTimeout(() => {
            clearInterval(timer);
            resolve(longest);
          }, 1500);
        }),
    );
    expect(longestGap).toBeLessThan(1000);
    await page.click('#train-stop');
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 60_000 }).toMatch(/^Stopped/);
    const stoppedAt = Number(await page.locator('#charts').getAttribute('data-batches'));
    const perEpoch = Math.ceil(9000 / 32);
    expect(stoppedAt).toBeLessThan(perEpoch); // stopped within the first of five epochs
    expect(await page.locator('#epoch-log li').count()).toBe(0);
    expect(await page.locator('#model-name').textContent()).toBe(
      `CNN trained here (${stoppedAt} batches, ${(stoppedAt / perEpoch).toFixed(2)} epochs, stopped)`,
    );
    expect(await page.locator('#train-start').isEnabled()).toBe(true);

    await page.click('#tab-draw');
    const before = await predictions();
    await uploadPng('after-training.png', mnistPng(mnist.test, 0, 'dark-on-light'));
    expect(await predictions()).toBeGreaterThan(before);
  });

  it('is cross-origin isolated by the service worker on a host that sends no such headers: the engine trains on worker threads', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false); // this host sends no COOP/COEP
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency));
    await page.click('#tab-train');
    await expect.poll(() => page.locator('#train-mode').getAttribute('data-threads')).toBe(String(cores));
    expect(await page.locator('#train-mode').textContent()).toContain(`on ${cores} threads`);
    await page.click('#tab-draw');
  });

  it('works offline once loaded (service worker), and fits a phone-sized screen', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready);
    await browser.context.setOffline(true);
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      expect(await page.locator('#model-name').textContent()).toContain('default model');
      const label = mnist.test.labels[3]!;
      expect(await uploadPng('offline.png', mnistPng(mnist.test, 3, 'transparent'))).toBe(label);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(OUTPUT, 'phone.png'), fullPage: false });
    } finally {
      await browser.context.setOffline(false);
      await page.setViewportSize({ width: 1100, height: 1000 });
    }
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
