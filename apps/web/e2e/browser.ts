import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DIGITS_CHROMIUM ?? '/usr/bin/chromium';

/** A phone: 390x844, touch, mobile viewport rules. */
export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 };

/** Debian's Chromium, headless, no GPU, no background traffic, a fresh profile per run. */
export async function launchChromium(device: BrowserContextOptions = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'digits-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 1000 },
    ...device,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A fresh Chromium with the app open at `url` and ready (its first prediction done); page errors are collected. */
export async function openApp(url: string, device: BrowserContextOptions = {}): Promise<{ browser: Awaited<ReturnType<typeof launchChromium>>; page: Page; pageErrors: string[] }> {
  const browser = await launchChromium(device);
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return { browser, page, pageErrors };
}
