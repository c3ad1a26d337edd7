import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openApp } from './browser';
import { serveStatic } from './static-server';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const cleanup: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('a new deploy on a host without ETags', () => {
  it('replaces the offline copy: the new index.html, not the HTTP cache\'s old one', async () => {
    const site = await mkdtemp(join(tmpdir(), 'digits-deploy-'));
    cleanup.push(() => rm(site, { recursive: true, force: true }));
    await cp(dist, site, { recursive: true });
    const server = await serveStatic(site, '/app/');
    cleanup.push(() => server.close());
    const { browser, page } = await openApp(server.url);
    cleanup.push(() => browser.close());
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });

    // the next deploy: a changed index.html, and a service worker with a new cache name
    const html = await readFile(join(site, 'index.html'), 'utf8');
    await writeFile(join(site, 'index.html'), html.replace('<title>', '<meta name="deploy" content="2" /><title>'));
    const sw = await readFile(join(site, 'sw.js'), 'utf8');
    await writeFile(join(site, 'sw.js'), sw.replace(/const CACHE = "digits-[0-9a-f]+";/, 'const CACHE = "digits-second";'));
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    // installed (everything precached) and activated: the old cache is gone
    await expect.poll(() => page.evaluate(async () => (await caches.keys()).join()), { timeout: 60_000 }).toBe('digits-second');

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    expect(await page.locator('meta[name="deploy"][content="2"]').count()).toBe(1);
  });
});
