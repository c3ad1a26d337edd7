/**
 * The figures in the README: JS size (gzip) of the build, and the time from navigation start to
 * the first prediction in headless Chromium (fresh profile each run, so nothing is cached), and
 * from touching the pad to the first prediction on screen.
 *
 *   pnpm --filter @digits/web build && pnpm --filter @digits/web bench
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../e2e/browser';
import { serveStatic } from '../e2e/static-server';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const RUNS = Number(process.env.DIGITS_BENCH_RUNS ?? 3);
const kB = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function sizes(): Promise<void> {
  const assets = join(dist, 'assets');
  let entryGz = 0;
  let allGz = 0;
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  for (const name of (await readdir(assets)).sort()) {
    if (!name.endsWith('.js') && !name.endsWith('.css') && !name.endsWith('.wasm')) continue;
    const bytes = await readFile(join(assets, name));
    const gz = gzipSync(bytes, { level: 9 }).length;
    const initial = html.includes(name);
    if (name.endsWith('.js')) allGz += gz;
    if (initial) entryGz += gz;
    console.log(`${initial ? '*' : ' '} ${name.padEnd(48)} ${kB(bytes.length).padStart(10)}  gzip ${kB(gz).padStart(9)}`);
  }
  console.log(`JS+CSS loaded by index.html (*), gzip: ${kB(entryGz)}; all JS chunks, gzip: ${kB(allGz)}`);
  const model = join(dist, 'models/default');
  let modelBytes = 0;
  for (const name of await readdir(model)) modelBytes += (await stat(join(model, name))).size;
  console.log(`default model files: ${kB(modelBytes)}`);
}

async function timings(): Promise<void> {
  const server = await serveStatic(dist, '/bench/');
  try {
    for (const backend of (process.env.DIGITS_BENCH_BACKENDS ?? 'auto,wasm,cpu').split(',')) {
      const ready: number[] = [];
      const stages: string[] = [];
      const drawn: number[] = [];
      let used = '';
      for (let run = 0; run < RUNS; run++) {
        const browser = await launchChromium();
        try {
          const page = await browser.context.newPage();
          await page.goto(backend === 'auto' ? server.url : `${server.url}?backend=${backend}`);
          await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
          const state = await page.evaluate(() => (window as any).digitsApp);
          if (run === 0) {
            const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
            let js = 0;
            let wasm = 0;
            for (const url of loaded) {
              const path = new URL(url).pathname.slice('/bench/'.length);
              if (!/\.(js|wasm)$/.test(path)) continue;
              const gz = gzipSync(await readFile(join(dist, path)), { level: 9 }).length;
              if (path.endsWith('.js')) js += gz;
              else wasm += gz;
            }
            console.log(`backend ${backend}: JS fetched before the first prediction, gzip ${kB(js)} (+ ${kB(wasm)} gzip of .wasm)`);
          }
          used = state.backend;
          ready.push(state.readyMs);
          const dom = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd);
          stages.push(`DOM ready ${dom.toFixed(0)}, backend ${state.backendMs.toFixed(0)}, model ${state.modelMs.toFixed(0)}, warm-up done ${state.readyMs.toFixed(0)}`);
          const box = (await page.locator('#pad').boundingBox())!;
          await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
          const t0 = await page.evaluate(() => performance.now());
          await page.mouse.down();
          await page.waitForFunction(() => (window as any).digitsApp.predictions > 0, null, { polling: 'raf' });
          drawn.push((await page.evaluate(() => performance.now())) - t0);
          await page.mouse.up();
        } finally {
          await browser.close();
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      console.log(
        `backend ${backend} -> ${used}: first prediction ${median(ready).toFixed(0)} ms after navigation start ` +
          `(median of ${RUNS}: ${ready.map((x) => x.toFixed(0)).join(', ')}); pen down to prediction ${median(drawn).toFixed(0)} ms`,
      );
      for (const line of stages) console.log(`  ${line} (ms)`);
    }
  } finally {
    await server.close();
  }
}

await sizes();
await timings();
