import type { Page } from 'playwright-core';

/** A stroke in pad units (0..1 of the pad's side). */
export type Stroke = [number, number][];

export function ellipse(cx: number, cy: number, rx: number, ry: number, n = 36): Stroke {
  return Array.from({ length: n + 2 }, (_, i) => {
    const t = (i / n) * Math.PI * 2 - Math.PI / 2;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)] as [number, number];
  });
}

/** Draws strokes with real mouse pointer events, point by point. */
export async function drawWithMouse(page: Page, strokes: Stroke[]): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    await page.mouse.move(box.x + first![0] * box.width, box.y + first![1] * box.height);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 4 });
    await page.mouse.up();
  }
}

/** Draws a stroke with real touch events (CDP Input.dispatchTouchEvent), as fast as the browser takes them. */
export async function drawWithTouch(page: Page, stroke: Stroke): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const at = ([x, y]: [number, number]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  try {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(stroke[0]!)] });
    for (const point of stroke.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(point)] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  } finally {
    await cdp.detach();
  }
}

export const predictions = (page: Page) => page.evaluate(() => (window as any).digitsApp.predictions as number);

/** Waits until the app has made a prediction after `before`, and the throttle has gone quiet. */
export async function predictionAfter(page: Page, before: number): Promise<number> {
  await page.waitForFunction((n) => (window as any).digitsApp.predictions > n, before);
  await page.waitForTimeout(250);
  return Number(await page.locator('#top-digit').textContent());
}

/** Drops files on an element (default: the page body) as a real drag and drop would. */
export async function dropFiles(page: Page, files: { name: string; bytes: Buffer; type?: string }[], target = 'body'): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.type ?? '', base64: f.bytes.toString('base64') }));
  await page.evaluate(
    ({ items, selector }) => {
      const transfer = new DataTransfer();
      for (const item of items) {
        const bytes = Uint8Array.from(atob(item.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], item.name, { type: item.type }));
      }
      document.querySelector(selector)!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { items: payload, selector: target },
  );
}

/** The message on screen (one at a time: the page-wide line or a panel's). */
export const visibleMessage = (page: Page) => page.locator('.message:not([hidden])');

/** Where an element is on screen now: its box, and whether it lies wholly inside the viewport. */
export async function onScreen(page: Page, selector: string): Promise<{ top: number; bottom: number; inside: boolean }> {
  return page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && r.height > 0 };
  });
}
