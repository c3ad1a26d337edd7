import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '@digits/mnist-data/node';
import { launchChromium, openApp } from './browser';
import { nodeReferenceAccuracy } from './node-reference';
import { visibleMessage } from './page-helpers';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');
const VITE = join(app, 'node_modules/vite/bin/vite.js');

let preview: ChildProcess;
let url: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let pageErrors: string[];

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

/** `vite preview` (the documented server: `pnpm --filter @digits/web preview`) on dist/, until it answers. */
async function startPreview(): Promise<void> {
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  preview = spawn(process.execPath, [VITE, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: app, stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not answer at ${url}`);
}

beforeAll(async () => {
  if (!existsSync(join(app, 'dist/index.html'))) throw new Error('no build: run `pnpm --filter @digits/web build` first');
  await startPreview();
  ({ browser, page, pageErrors } = await openApp(url));
});

afterAll(async () => {
  await browser?.close();
  preview?.kill();
});

describe('the digits web app under `vite preview` (Content-Encoding: gzip on .gz, COOP/COEP headers)', () => {
  it('sends the cross-origin isolation headers and the MNIST files gzip-encoded, as the app expects', async () => {
    const response = await fetch(url);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const data = await fetch(new URL('data/t10k-labels-idx1-ubyte.gz', url), { headers: { 'Accept-Encoding': 'gzip' } });
    expect(data.headers.get('content-encoding')).toBe('gzip'); // what broke the page before
  });

  it('loads the test digit grid (no "Failed to fetch")', async () => {
    await page.waitForSelector('#grid li', { timeout: 30_000 });
    expect(await page.locator('#grid li').count()).toBe(24);
    expect(await visibleMessage(page).count()).toBe(0);
  });

  it('is cross-origin isolated: the engine trains the MLP on worker threads, to the accuracy the same run reaches in Node', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency));
    expect(cores).toBeGreaterThanOrEqual(2); // the CI machine has 2 cores
    await page.click('#tab-train');
    await expect.poll(() => page.locator('#train-mode').getAttribute('data-threads')).toBe(String(cores));
    expect(await page.locator('#train-mode').textContent()).toContain(`on ${cores} threads`);
    await page.check('input[name="arch"][value="mlp"]');
    await page.selectOption('#train-count', '2000');
    await page.fill('#train-epochs', '1');
    await page.click('#train-start');
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 60_000 }).toMatch(/^Done/);
    expect(await page.locator('#epoch-log li').count()).toBe(1);
    // the engine's own count while it trained: its worker threads plus the page's thread
    expect(await page.locator('#train-mode').getAttribute('data-threads-used')).toBe(String(cores));
    const inPage = Number(await page.locator('#train-status').getAttribute('data-accuracy'));
    const mnist = await loadMnist({ dataset: 'mnist', source: 'embedded' });
    expect(Math.abs(inPage - (await nodeReferenceAccuracy(mnist, cores)))).toBeLessThanOrEqual(0.005);
    expect(await visibleMessage(page).count()).toBe(0);
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
