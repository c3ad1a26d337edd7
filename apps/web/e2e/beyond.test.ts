import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGIT_GLYPHS, LETTER_GLYPHS, SHAPE_GLYPHS, nonDigitDrawings } from '@digits/mnist-data';
import { launchChromium } from './browser';
import { PadDriver } from './pad-driver';
import { visibleMessage } from './page-helpers';
import { serveStatic } from './static-server';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let pad: PadDriver;
const pageErrors: string[] = [];
const app = <T>(key: string) => page.evaluate((k) => (window as any).digitsApp[k](), key) as Promise<T>;

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} has no build: run \`pnpm --filter @digits/web build\` first`);
  server = await serveStatic(dist, '/digits/');
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  pad = new PadDriver(page);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('beyond the peers: not sure, clickable grid, saliency, model picker, comparison', () => {
  it('reads clearly drawn digits with confidence, and says "not sure" to letters, shapes and scribbles', async () => {
    expect(await page.locator('#model-name').textContent()).toContain('default model (CNN');
    for (let digit = 0; digit < 10; digit++) {
      const shown = await pad.read(DIGIT_GLYPHS[digit]![0]!);
      expect(shown.digit, `drawn ${digit}`).toBe(String(digit));
      expect(shown.notSure, `drawn ${digit}: ${shown.confidence}`).toBe(false);
      expect(shown.confidence).toMatch(new RegExp(`% sure it is a ${digit}$`));
    }
    // The shipped CNN flags ~88% of generated scribbles (README), not all: some look like a 6 or a 5
    // to it. This test checks what the page shows, not the rate: a tangle drawn here, and a
    // generated scribble it flags.
    const tangle = [[[0.1, 0.5], [0.3, 0.2], [0.45, 0.7], [0.6, 0.15], [0.8, 0.8], [0.9, 0.3], [0.2, 0.9], [0.5, 0.4], [0.95, 0.6]] as const];
    const scribbles = [{ strokes: tangle }, ...nonDigitDrawings({ seed: 77, count: 20 }).filter((d) => d.kind === 'scribble').slice(1, 2)];
    const things = [
      ...['X', 'W', 'K', 'A', 'M', 'e'].map((name) => [name, LETTER_GLYPHS[name]!, undefined] as const),
      ...['star', 'hash', 'smiley'].map((name) => [name, SHAPE_GLYPHS[name]!, undefined] as const),
      ...scribbles.map((d, i) => [`scribble ${i}`, d.strokes, { left: 0, top: 0, size: 1 }] as const),
    ];
    for (const [name, glyph, where] of things) {
      const shown = await pad.read(glyph, where);
      expect(shown.notSure, `${name}: ${shown.confidence}`).toBe(true);
      expect(shown.confidence).toMatch(/^Not sure: this may not be a digit \(best guess \d, \d+\.\d%\)$/);
      expect(await page.locator('#top-digit').getAttribute('class')).toContain('not-sure');
    }
  });

  it('sends a grid digit to the pad by click and by keyboard, and predicts it', async () => {
    await page.waitForSelector('#grid li.right button');
    const right = page.locator('#grid li.right');
    for (const how of ['click', 'keyboard'] as const) {
      const item = right.nth(how === 'click' ? 0 : 1);
      const label = await item.getAttribute('data-label');
      const before = await pad.predictions();
      if (how === 'click') await item.locator('button').click();
      else {
        await item.locator('button').focus();
        await page.keyboard.press('Enter');
      }
      await page.waitForFunction((n) => (window as any).digitsApp.predictions > n, before);
      expect(await page.locator('#top-digit').textContent(), how).toBe(label);
      expect(await visibleMessage(page).textContent()).toMatch(new RegExp(`Test image \\d+ \\(label ${label}\\) is on the pad`));
      // the digit is on the pad, dark on white, as the visitor sees it
      const dark = await page.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('#pad')!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) n += d[i]! < 100 ? 1 : 0;
        return n;
      });
      expect(dark).toBeGreaterThan(1000);
    }
  });

  /** Non-black pixels of a canvas. */
  const painted = (selector: string) =>
    page.evaluate((s) => {
      const c = document.querySelector<HTMLCanvasElement>(s)!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) n += d[i]! + d[i + 1]! + d[i + 2]! > 120 ? 1 : 0;
      return n;
    }, selector);

  it('opens "what drove the prediction": saliency and feature maps (CNN) or hidden units (MLP), updated live', async () => {
    await pad.read(DIGIT_GLYPHS[3]![0]!);
    await page.click('#explain summary');
    await expect.poll(() => app<number>('explained')).toBeGreaterThan(0);
    expect(await painted('#saliency')).toBeGreaterThan(20);
    expect(await page.locator('#saliency').getAttribute('data-digit')).toBe('3');
    expect(await page.locator('#explain-units').getAttribute('data-kind')).toBe('feature-maps');
    expect(await page.locator('#explain-units li').count()).toBe(8);
    expect(await page.locator('#saliency-caption').textContent()).toMatch(/pushed towards 3.*feature maps of conv2d_1/);

    const tensors = await app<number>('tensors');
    const explained = await app<number>('explained');
    await pad.read(DIGIT_GLYPHS[7]![0]!);
    expect(await app<number>('explained')).toBeGreaterThan(explained + 1); // live: several updates while drawing
    expect(await page.locator('#saliency').getAttribute('data-digit')).toBe('7');
    expect(await app<number>('tensors')).toBe(tensors);

    await page.click('#model-picker input[value="mlp"]');
    await expect.poll(() => page.locator('#model-name').textContent()).toBe('tutorial MLP');
    await expect.poll(() => page.locator('#explain-units').getAttribute('data-kind')).toBe('hidden-units');
    expect(await page.locator('#saliency-caption').textContent()).toMatch(/most active units of dense_1/);
    expect(await page.locator('#explain-units li').count()).toBe(8);
    await page.click('#explain summary'); // closed: no more work per prediction
    const closed = await app<number>('explained');
    await pad.read(DIGIT_GLYPHS[1]![0]!);
    expect(await app<number>('explained')).toBe(closed);
  });

  it('switches between the built-in models with one click (or the arrow keys)', async () => {
    expect(await page.locator('#model-picker input[value="mlp"]').isChecked()).toBe(true);
    const backend = await page.locator('#backend').textContent();
    if (backend === 'wasm') expect(await page.locator('#model-name').getAttribute('data-runs-on')).toBe('the digits engine');
    await page.focus('#model-picker input[value="mlp"]');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.locator('#model-name').textContent()).toContain('default model (CNN');
    expect(await page.locator('#model-picker input[value="default"]').isChecked()).toBe(true);
    // the CNN runs in the digits engine too
    expect(await page.locator('#model-name').getAttribute('data-runs-on')).toMatch(backend === 'wasm' ? /^the digits engine$/ : /^tfjs: /);
  });

  it('compares two models side by side on the same drawing, also a pinned one', async () => {
    await page.click('#compare summary');
    await expect.poll(() => page.locator('#compare-b-name').textContent()).toBe('tutorial MLP');
    expect(await page.locator('#compare-a-name').textContent()).toContain('default model (CNN');
    const compared = await app<number>('compared');
    await pad.read(DIGIT_GLYPHS[2]![0]!);
    expect(await app<number>('compared')).toBeGreaterThan(compared);
    expect(await page.locator('#compare-a-digit').textContent()).toBe('2');
    expect(await page.locator('#compare-b-digit').textContent()).toBe('2');
    expect(await page.locator('#compare-b-bars li .value').allTextContents()).toHaveLength(10);

    // The same letter: the CNN is not sure, the MLP (trained on digits only) often is.
    await pad.read(LETTER_GLYPHS['X']!);
    expect(await page.locator('#compare-a-digit').getAttribute('data-not-sure')).toBe('true');
    expect(await page.locator('#compare-b-confidence').textContent()).toMatch(/sure/);

    // Pin the CNN as B, make the MLP the active model: B keeps predicting (it was not disposed).
    await page.click('#compare-pin');
    await expect.poll(() => page.locator('#compare-b-name').textContent()).toContain('default model (CNN');
    await page.click('#model-picker input[value="mlp"]');
    await expect.poll(() => page.locator('#compare-a-name').textContent()).toBe('tutorial MLP');
    await pad.read(DIGIT_GLYPHS[4]![0]!);
    expect(await page.locator('#compare-a-digit').textContent()).toBe('4');
    expect(await page.locator('#compare-b-digit').textContent()).toBe('4');
    await page.selectOption('#compare-model', 'mlp');
    await expect.poll(() => page.locator('#compare-b-name').textContent()).toBe('tutorial MLP');
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
