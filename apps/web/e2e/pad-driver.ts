import type { Page } from 'playwright-core';
import type { Glyph } from '@digits/mnist-data';
import { drawWithMouse, predictions, type Stroke } from './page-helpers';

/**
 * Drives the draw pad of a loaded page: glyph strokes (unit box, as @digits/mnist-data's glyphs)
 * drawn with real mouse events into a square of the pad, and waits for the resulting prediction.
 */
export class PadDriver {
  constructor(private readonly page: Page) {}

  predictions(): Promise<number> {
    return predictions(this.page);
  }

  async clear(): Promise<void> {
    await this.page.click('#clear');
    await this.page.waitForFunction(() => document.querySelector('#top-digit')?.textContent === '–');
  }

  /** Draws `glyph` into the square [left, top, left+size, top+size] of the pad (pad units). */
  async draw(glyph: Glyph, { left = 0.15, top = 0.12, size = 0.7 } = {}): Promise<void> {
    await drawWithMouse(this.page, glyph.map((stroke): Stroke => stroke.map(([x, y]) => [left + x * size, top + y * size])));
  }

  /** Clears, draws, and returns what the page shows once the live predictions have settled. */
  async read(glyph: Glyph, where?: { left?: number; top?: number; size?: number }): Promise<{ digit: string; notSure: boolean; confidence: string }> {
    await this.clear();
    const before = await this.predictions();
    await this.draw(glyph, where);
    await this.page.waitForFunction((n) => (window as any).digitsApp.predictions > n, before);
    await this.page.waitForTimeout(250);
    const top = this.page.locator('#top-digit');
    return {
      digit: (await top.textContent()) ?? '',
      notSure: (await top.getAttribute('data-not-sure')) === 'true',
      confidence: (await this.page.locator('#top-confidence').textContent()) ?? '',
    };
  }
}
