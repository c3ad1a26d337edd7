/**
 * The figures in the README, in headless Chromium on loopback (fresh profile each run, nothing cached):
 * - sizes of the build's chunks (gzip), and which load with index.html;
 * - bytes before the first prediction: every file fetched (html, JS, CSS, wasm, model) until the
 *   page can read a digit (its warm-up prediction done), gzip-compressed as a host would send it;
 * - navigation start to the first prediction of a stroke drawn at the moment the pad is ready:
 *   navigation -> ready, plus that first stroke's pen down -> its prediction on screen (both on the
 *   page's clock; the test driver's own reaction time in between is shown, not counted);
 * - pen down to the updated prediction, warm (pointerdown's timestamp to the prediction on screen;
 *   median of 10 strokes after the first).
 *
 *   pnpm --filter @digits/web build && pnpm --filter @digits/web bench
 *   DIGITS_BENCH_RUNS=5 DIGITS_BENCH_BACKENDS=auto,cpu pnpm --filter @digits/web bench
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium } from '../e2e/browser';
import { serveStatic } from '../e2e/static-server';

// DIGITS_BENCH_DIST: another build to compare (e.g. an older commit's dist/)
const dist = resolve(process.env.DIGITS_BENCH_DIST ?? resolve(dirname(fileURLToPath(import.meta.url)), '../dist'));
const RUNS = Number(process.env.DIGITS_BENCH_RUNS ?? 5);
const WARM_STROKES = 10;
const PREFIX = '/bench/';
const kB = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const gzipSize = async (path: string) => gzipSync(await readFile(join(dist, path)), { level: 9 }).length;

async function sizes(): Promise<void> {
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  for (const name of (await readdir(join(dist, 'assets'))).sort()) {
    const bytes = await readFile(join(dist, 'assets', name));
    const initial = html.includes(name);
    console.log(`${initial ? '*' : ' '} ${name.padEnd(48)} ${kB(bytes.length).padStart(10)}  gzip ${kB(gzipSync(bytes, { level: 9 }).length).padStart(9)}`);
  }
  console.log('(* = loaded by index.html)');
}

/** Files fetched before `until` (page clock), by kind, gzip. */
async function bytesBefore(page: Page, until: number): Promise<Record<string, number>> {
  const paths = await page.evaluate(
    (t) => ['', ...performance.getEntriesByType('resource').filter((e) => e.startTime < t).map((e) => e.name)].map((u) => (u ? new URL(u).pathname : '')),
    until,
  );
  const out: Record<string, number> = { html: await gzipSize('index.html') };
  for (const path of paths.filter(Boolean)) {
    const file = path.slice(PREFIX.length);
    const kind = /\.js$/.test(file) ? 'JS' : /\.wasm$/.test(file) ? 'wasm' : /\.css$/.test(file) ? 'CSS' : file.startsWith('models/') ? 'model' : 'other';
    out[kind] = (out[kind] ?? 0) + (await gzipSize(file));
  }
  return out;
}

async function timings(): Promise<void> {
  const server = await serveStatic(dist, PREFIX);
  try {
    for (const backend of (process.env.DIGITS_BENCH_BACKENDS ?? 'auto').split(',')) {
      const ready: number[] = [];
      const firstStroke: number[] = [];
      const first: number[] = [];
      const warm: number[] = [];
      const stages: string[] = [];
      let used = '';
      for (let run = 0; run < RUNS; run++) {
        const browser = await launchChromium();
        try {
          const page = await browser.context.newPage();
          await page.addInitScript(() => {
            (window as any).benchDown = NaN;
            addEventListener('pointerdown', (e) => ((window as any).benchDown = e.timeStamp), { capture: true });
          });
          await page.goto(backend === 'auto' ? server.url : `${server.url}?backend=${backend}`);
          await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
          const box = (await page.locator('#pad').boundingBox())!;
          await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
          await page.mouse.down();
          await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 5 });
          await page.waitForFunction(() => (window as any).digitsApp.predictions > 0, null, { polling: 'raf' });
          await page.mouse.up();
          const state = await page.evaluate(() => (window as any).digitsApp);
          used = state.backend;
          const down = await page.evaluate(() => (window as any).benchDown as number);
          ready.push(state.readyMs);
          firstStroke.push(state.firstDrawnMs - down);
          first.push(state.readyMs + (state.firstDrawnMs - down));
          stages.push(
            `backend ${state.backendMs.toFixed(0)}, model ${state.modelMs.toFixed(0)}, ready ${state.readyMs.toFixed(0)}; ` +
              `driver's reaction ${(down - state.readyMs).toFixed(0)}; pen down -> read ${(state.firstDrawnMs - down).toFixed(0)}`,
          );
          if (run === 0) {
            const bytes = await bytesBefore(page, state.readyMs);
            const total = Object.values(bytes).reduce((a, b) => a + b, 0);
            console.log(`backend ${backend}: bytes before the first prediction (gzip): ${kB(total)} = ${Object.entries(bytes).map(([k, v]) => `${k} ${kB(v)}`).join(' + ')}`);
          }
          // warm: pen down on a cleared pad, until the prediction for it is on screen (page clock)
          for (let i = 0; i < (run === 0 ? WARM_STROKES + 1 : 0); i++) {
            await page.click('#clear');
            await page.waitForTimeout(120);
            const before = await page.evaluate(() => (window as any).digitsApp.predictions);
            await page.mouse.move(box.x + box.width * (0.3 + 0.04 * i), box.y + box.height * 0.3);
            await page.mouse.down();
            await page.waitForFunction((n) => (window as any).digitsApp.predictions > n, before, { polling: 'raf' });
            await page.mouse.up();
            const ms = await page.evaluate(() => (window as any).digitsApp.lastPredictionMs - (window as any).benchDown);
            if (i > 0) warm.push(ms);
          }
        } finally {
          await browser.close();
        }
      }
      console.log(
        `backend ${backend} -> ${used}: navigation to the first prediction of a stroke ${median(first).toFixed(0)} ms ` +
          `(median of ${RUNS}: ${first.map((x) => x.toFixed(0)).join(', ')}; ready ${median(ready).toFixed(0)} + first stroke ${median(firstStroke).toFixed(0)}); ` +
          `pen down to prediction, warm: ${median(warm).toFixed(1)} ms (median of ${warm.length}; max ${Math.max(...warm).toFixed(1)})`,
      );
      for (const line of stages) console.log(`  ${line} (ms)`);
    }
  } finally {
    await server.close();
  }
}

await sizes();
await timings();
