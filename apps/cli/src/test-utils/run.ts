import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

/** The built binary: the tests exercise what users run (the vitest global setup builds it when stale). */
export const DIGITS_BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the child in kB (with `measure: true`; undefined if it did not exit normally). */
  maxRssKb?: number;
  /** True when the child was killed for running past `timeoutMs`. */
  timedOut?: boolean;
}

export interface RunOptions {
  cwd: string;
  /** Report the child's peak memory (`maxRssKb`) through a preloaded exit hook. */
  measure?: boolean;
  /** Kill the child (SIGKILL) after this many milliseconds and set `timedOut`. */
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Packages the child cannot resolve, as if never installed (e.g. the optional GPU packages). */
  notInstalled?: string[];
}

const RSS_REPORTER = fileURLToPath(new URL('./report-rss.cjs', import.meta.url));
const NOT_INSTALLED = fileURLToPath(new URL('./not-installed.mjs', import.meta.url));

export function startDigits(args: string[], options: RunOptions): ChildProcess {
  if (!existsSync(DIGITS_BIN)) throw new Error(`${DIGITS_BIN} is missing: run \`pnpm --filter @digits/cli build\` first`);
  const nodeArgs = [...(options.measure ? ['--require', RSS_REPORTER] : []), ...(options.notInstalled?.length ? ['--import', NOT_INSTALLED] : [])];
  const notInstalled = options.notInstalled?.length ? { DIGITS_TEST_NOT_INSTALLED: options.notInstalled.join(',') } : {};
  return spawn(process.execPath, [...nodeArgs, DIGITS_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env, ...notInstalled },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export async function runDigits(args: string[], options: RunOptions): Promise<RunResult> {
  const rssDir = options.measure ? mkdtempSync(join(tmpdir(), 'digits-rss-')) : undefined;
  const rssFile = rssDir ? join(rssDir, 'maxrss') : undefined;
  const child = startDigits(args, rssFile ? { ...options, env: { ...options.env, DIGITS_TEST_RSS_FILE: rssFile } } : options);
  let timedOut = false;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs)
    : undefined;
  try {
    const result = await finished(child);
    if (timedOut) result.timedOut = true;
    if (rssFile && existsSync(rssFile)) result.maxRssKb = Number(readFileSync(rssFile, 'utf8'));
    return result;
  } finally {
    if (timer) clearTimeout(timer);
    if (rssDir) rmSync(rssDir, { recursive: true, force: true });
  }
}

export function pngSize(file: string): { width: number; height: number } {
  const png = PNG.sync.read(readFileSync(file));
  return { width: png.width, height: png.height };
}
