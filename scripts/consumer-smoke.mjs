#!/usr/bin/env node
// Consumer smoke test: proves `npm install @digits/...` works for a project outside this workspace.
// Packs every library in packages/* with `pnpm pack`, installs the tarballs with npm into a temp
// project (peer dependencies such as @tensorflow/tfjs come from the registry), then imports every
// export of every library both as ESM (`import`) and as CJS (`require`) and compares the exports.
// New libraries and new export paths are covered automatically.
//
// Usage: node scripts/consumer-smoke.mjs [--no-build]
// DIGITS_SMOKE_DIR overrides the temp project (default: <os tmpdir>/digits-consumer-smoke, kept
// between runs so npm can reuse what it installed; the @digits packages are always reinstalled).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const project = process.env.DIGITS_SMOKE_DIR ?? join(tmpdir(), 'digits-consumer-smoke');
const started = performance.now();
const log = (message) => console.log(`[consumer-smoke] ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${message}`);
const run = (command, args, cwd, options = {}) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

if (!relative(root, project).startsWith('..')) {
  throw new Error(`the smoke project must be outside the workspace, got ${project}`);
}

const libraries = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'packages', entry.name, 'package.json')))
  .map((entry) => {
    const dir = join(root, 'packages', entry.name);
    return { dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
  })
  .filter(({ manifest }) => !manifest.private);
log(`libraries: ${libraries.map((l) => l.manifest.name).join(', ')}`);

if (!process.argv.includes('--no-build')) {
  // turbo's cache makes this a no-op when dist/ is current
  run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only', ...libraries.map((l) => `--filter=${l.manifest.name}`)], root, {
    stdio: 'inherit',
  });
}

// Fresh tarballs and a fresh copy of our packages; npm keeps the rest of node_modules.
const tarballs = join(project, 'tarballs');
rmSync(tarballs, { recursive: true, force: true });
rmSync(join(project, 'node_modules', '@digits'), { recursive: true, force: true });
rmSync(join(project, 'package-lock.json'), { force: true });
mkdirSync(tarballs, { recursive: true });
log('packing');
const dependencies = {};
for (const { dir, manifest } of libraries) {
  const before = new Set(readdirSync(tarballs));
  run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  const packed = readdirSync(tarballs).filter((f) => f.endsWith('.tgz') && !before.has(f));
  if (packed.length !== 1) throw new Error(`pnpm pack in ${dir} produced ${packed.length} tarballs`);
  const tarball = join(tarballs, packed[0]);
  dependencies[manifest.name] = `file:${relative(project, tarball)}`;
}
// A library depending on another (e.g. @digits/model on @digits/mnist-data) must get our tarball.
const overrides = Object.fromEntries(Object.keys(dependencies).map((name) => [name, `$${name}`]));
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'digits-consumer-smoke', private: true, version: '0.0.0', dependencies, overrides }, null, 2),
);
log(`installing ${Object.keys(dependencies).length} tarballs with npm in ${project}`);
run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project, { stdio: 'inherit' });

const ESM_KEYS = `const m = await import(process.argv[1]); console.log(JSON.stringify(Object.keys(m).filter(k => k !== 'default').sort()));`;
const CJS_KEYS = `const m = require(process.argv[1]); console.log(JSON.stringify(Object.keys(m).filter(k => k !== '__esModule').sort()));`;
log('importing');
const failures = [];
let checked = 0;
for (const { manifest } of libraries) {
  const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter((p) => !p.endsWith('.json'));
  for (const subpath of subpaths) {
    const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.replace(/^\.\//, '')}`;
    try {
      const esm = JSON.parse(run(process.execPath, ['--input-type=module', '-e', ESM_KEYS, specifier], project));
      const cjs = JSON.parse(run(process.execPath, ['-e', CJS_KEYS, specifier], project));
      if (esm.length === 0) throw new Error('the ESM entry exports nothing');
      if (JSON.stringify(esm) !== JSON.stringify(cjs)) {
        const only = (a, b) => a.filter((k) => !b.includes(k)).join(', ') || '-';
        throw new Error(`ESM and CJS exports differ: only ESM: ${only(esm, cjs)}; only CJS: ${only(cjs, esm)}`);
      }
      if (!esm.includes('DigitsError')) throw new Error('DigitsError is not exported');
      checked++;
      log(`ok  ${specifier}: ${esm.length} exports, same from import and require`);
    } catch (error) {
      const detail = error.stderr ? String(error.stderr).trim().split('\n').slice(-5).join('\n    ') : error.message;
      failures.push(`${specifier}: ${detail}`);
      log(`FAIL ${specifier}: ${detail}`);
    }
  }
}

// The installed data library must find its embedded dataset from outside the workspace, both ways.
if (dependencies['@digits/mnist-data']) {
  const check = (code, flags) => {
    const cacheDir = join(project, 'cache');
    const out = run(process.execPath, [...flags, '-e', code], project, { env: { ...process.env, DIGITS_CACHE: cacheDir } }).trim();
    if (out !== '60000 10000 5,0,4,1,9') throw new Error(`loadMnist from the installed package printed ${out}`);
  };
  const body = `.then(d => console.log(d.train.count, d.test.count, [...d.train.labels.subarray(0, 5)].join()))`;
  try {
    check(`import('@digits/mnist-data/node').then(m => m.loadMnist())${body}`, ['--input-type=module']);
    check(`require('@digits/mnist-data/node').loadMnist()${body}`, []);
    log('ok  @digits/mnist-data/node: loadMnist() reads the embedded MNIST via import and require');
  } catch (error) {
    failures.push(`@digits/mnist-data/node loadMnist: ${error.stderr ?? error.message}`);
  }
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failures.length > 0 || checked === 0) {
  console.error(`[consumer-smoke] FAILED (${failures.length} of ${checked + failures.length} entries, ${seconds} s):\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
log(`passed: ${checked} entry points of ${libraries.length} libraries import as ESM and CJS (${seconds} s)`);
