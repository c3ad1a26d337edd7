import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openApp, PHONE } from './browser';
import { drawWithTouch, ellipse, onScreen, predictionAfter, predictions, visibleMessage, type Stroke } from './page-helpers';
import { serveStatic } from './static-server';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '../dist');
const OUTPUT = join(here, '.output');

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} has no build: run \`pnpm --filter @digits/web build\` first`);
  // this host sends the MNIST .gz files with Content-Encoding: gzip, so the browser inflates them
  server = await serveStatic(dist, '/phone/', { gzipEncoding: true });
  ({ browser, page, pageErrors } = await openApp(server.url, PHONE));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A 1 on the left third of the pad, and a 0 on the right half: the first leaves no ink where the second goes. */
const ONE: Stroke = [[0.2, 0.15], [0.2, 0.35], [0.19, 0.55], [0.19, 0.8]];
const ZERO: Stroke = ellipse(0.68, 0.5, 0.17, 0.3, 24);

/** Dark pixels of the pad in the left third (where only the 1 goes). */
const inkOnTheLeft = () =>
  page.evaluate(() => {
    const pad = document.querySelector<HTMLCanvasElement>('#pad')!;
    const data = pad.getContext('2d')!.getImageData(0, 0, Math.floor(pad.width * 0.33), pad.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! < 128) ink++;
    return ink;
  });

describe('the digits web app on a phone (390x844, touch), from a host that sends Content-Encoding: gzip', () => {
  it('loads the test digits although the browser inflated the .gz files already', async () => {
    await page.waitForSelector('#grid li', { timeout: 30_000 });
    expect(await page.locator('#grid li').count()).toBe(24);
    expect(await visibleMessage(page).count()).toBe(0); // no "Failed to fetch", no error at all
  });

  it('shows the pad, the top digit and every bar on the first screen after a prediction', async () => {
    const before = await predictions(page);
    await drawWithTouch(page, ZERO);
    expect(await predictionAfter(page, before)).toBe(0);
    expect(await page.evaluate(() => scrollY)).toBe(0);
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'phone-prediction.png') });
    for (const selector of ['#pad', '#top-digit', '#bars li[data-digit="0"]', '#bars li[data-digit="9"]', '#clear']) {
      expect((await onScreen(page, selector)).inside, selector).toBe(true);
    }
  });

  it('clears on a tap right after a fast stroke: the next prediction sees only the next digit', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      await drawWithTouch(page, ONE);
      const clear = (await page.locator('#clear').boundingBox())!;
      await page.touchscreen.tap(clear.x + clear.width / 2, clear.y + clear.height / 2); // within a few ms of the stroke
      await expect.poll(() => page.locator('#top-digit').textContent(), { message: `attempt ${attempt}` }).toBe('–');
      expect(await inkOnTheLeft(), `attempt ${attempt}`).toBe(0);
      const before = await predictions(page);
      await drawWithTouch(page, ZERO);
      expect(await predictionAfter(page, before), `attempt ${attempt}`).toBe(0);
      expect(await inkOnTheLeft(), `attempt ${attempt}`).toBe(0);
      await page.touchscreen.tap(clear.x + clear.width / 2, clear.y + clear.height / 2);
      await expect.poll(() => page.locator('#top-digit').textContent()).toBe('–');
    }
  });

  it('shows a message where the action was taken, without moving the pad, until dismissed', async () => {
    await page.evaluate(() => scrollTo(0, 0));
    const padBefore = await page.locator('#pad').boundingBox();
    await page.setInputFiles('#image-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
    await expect.poll(() => visibleMessage(page).getAttribute('data-kind')).toBe('error');
    const message = visibleMessage(page);
    expect(await message.textContent()).toMatch(/notes\.txt.*not an image/);
    const box = (await message.boundingBox())!;
    const upload = (await page.locator('label[for="image-file"]').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(upload.y + upload.height - 1); // just below the button used
    expect(box.y).toBeLessThan(upload.y + upload.height + 40);
    expect((await onScreen(page, '.message:not([hidden])')).inside).toBe(true);
    expect(await page.locator('#pad').boundingBox()).toEqual(padBefore);
    await message.locator('button.dismiss').tap();
    expect(await visibleMessage(page).count()).toBe(0);

    // from the model panel, far down the page: the message is on screen, by the model picker
    const mlp = page.locator('#model-picker label', { hasText: 'Tutorial MLP' });
    await mlp.scrollIntoViewIfNeeded();
    await mlp.tap();
    await expect.poll(() => visibleMessage(page).textContent()).toMatch(/Now using tutorial MLP/);
    expect((await onScreen(page, '.message:not([hidden])')).inside).toBe(true);
    const near = (await page.locator('#model-picker').boundingBox())!;
    const shown = (await visibleMessage(page).boundingBox())!;
    expect(shown.y - (near.y + near.height)).toBeLessThan(40);
    // info messages go away on their own
    await expect.poll(() => visibleMessage(page).count(), { timeout: 10_000 }).toBe(0);
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
