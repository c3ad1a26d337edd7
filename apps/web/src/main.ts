import './styles.css';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from './backend';
import { DrawPad } from './draw-pad';
import { decodeImageFile, isImageFile } from './image-file';
import { clearMessage, showError, showMessage } from './messages';
import { loadMnistAssets } from './mnist-assets';
import { DEFAULT_MODEL_URL, modelFromFiles, modelFromUrl, type ActiveModel } from './model-source';
import { paintPixels } from './pixels';
import { Predictor } from './predictor';
import { ProbabilityBars } from './probability-bars';
import { TestGrid } from './test-grid';
import { TrainView } from './train-view';
import type { RawImage } from '@digits/mnist-data';

const $ = <T extends Element>(selector: string) => document.querySelector<T>(selector)!;

/** Live prediction while drawing runs at most this often. */
const PREDICT_INTERVAL_MS = 80;

const predictor = new Predictor();
const bars = new ProbabilityBars($('#bars'), $('#top-digit'), $('#top-confidence'));
const preview = $<HTMLCanvasElement>('#preview');
let grid: TestGrid | null = null;
let uploaded: RawImage | null = null;

// What the end-to-end tests (and curious visitors in the console) can look at.
// readyMs: from navigation start until the first prediction (a warm-up on a blank input) is done.
// backendMs / modelMs: when the backend was up and the default model loaded (same clock).
const appState = { backend: '', backendMs: NaN, modelMs: NaN, readyMs: NaN, predictions: 0, tensors: () => tf.memory().numTensors };
(window as unknown as { digitsApp: typeof appState }).digitsApp = appState;

/** Predicts and shows the result; false when it failed (the message says why). */
function readImage(image: RawImage): boolean {
  try {
    const reading = predictor.read(image);
    if (!reading) {
      bars.reset();
      paintPixels(preview, new Float32Array(784));
      return true;
    }
    paintPixels(preview, reading.pixels, 255);
    bars.show(reading.probabilities);
    appState.predictions++;
    return true;
  } catch (error) {
    showError(error, 'Could not read the image');
    return false;
  }
}

// Throttled live prediction: leading call, then at most one per interval, with a trailing call.
let lastRun = 0;
let timer: number | undefined;
function schedulePrediction(): void {
  const wait = PREDICT_INTERVAL_MS - (performance.now() - lastRun);
  if (timer !== undefined) return;
  timer = window.setTimeout(() => {
    timer = undefined;
    lastRun = performance.now();
    uploaded = null;
    readImage(pad.image());
  }, Math.max(0, wait));
}

const pad = new DrawPad($('#pad'), (p) => {
  if (p.hasInk) schedulePrediction();
  else {
    uploaded = null;
    bars.reset();
    paintPixels(preview, new Float32Array(784));
  }
});
$('#clear').addEventListener('click', () => {
  pad.clear();
  uploaded = null;
  bars.reset();
  paintPixels(preview, new Float32Array(784));
});

async function readImageFile(file: File): Promise<void> {
  try {
    const { raw, bitmap } = await decodeImageFile(file);
    pad.drawImage(bitmap, bitmap.width, bitmap.height);
    bitmap.close();
    uploaded = raw;
    if (readImage(raw)) showMessage(`Read ${file.name}.`);
  } catch (error) {
    showError(error, 'Could not read the image');
  }
}
$<HTMLInputElement>('#image-file').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (file) void readImageFile(file);
});

async function switchModel(load: () => Promise<ActiveModel>, what: string): Promise<void> {
  showMessage(`Loading ${what}…`);
  try {
    const next = await load();
    predictor.use(next);
    showMessage(`Now using ${next.label}.`);
  } catch (error) {
    showError(error, `Could not load ${what}`);
  }
}

/** Where this model's predictions run, on the model's name (hover) and for the tests. */
function showRunsOn(): void {
  const name = $<HTMLElement>('#model-name');
  name.dataset.runsOn = predictor.runsOn;
  name.title = `predictions: ${predictor.runsOn}`;
}

predictor.onChange((active) => {
  $('#model-name').textContent = active.label;
  $('#model-card').textContent = active.card ? JSON.stringify(active.card, null, 2) : 'No model card for this model.';
  if (uploaded) readImage(uploaded);
  else if (pad.hasInk) readImage(pad.image());
  grid?.render();
  showRunsOn();
});

$<HTMLFormElement>('#url-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = $<HTMLInputElement>('#model-url').value.trim();
  if (url) void switchModel(() => modelFromUrl(url), url);
});
$<HTMLInputElement>('#model-files').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const files = [...(input.files ?? [])];
  input.value = '';
  if (files.length > 0) void switchModel(() => modelFromFiles(files), files.map((f) => f.name).join(', '));
});
$('#default-model').addEventListener('click', () => void switchModel(() => modelFromUrl(DEFAULT_MODEL_URL, 'default model (tutorial MLP)'), 'the default model'));

// Drop anywhere: images are read, anything else is taken as a model.
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const files = [...(e.dataTransfer?.files ?? [])];
  if (files.length === 0) return;
  if (files.length === 1 && isImageFile(files[0]!)) void readImageFile(files[0]!);
  else void switchModel(() => modelFromFiles(files), files.map((f) => f.name).join(', '));
});

// Views.
const tabs = [
  [$<HTMLButtonElement>('#tab-draw'), $<HTMLElement>('#view-draw')],
  [$<HTMLButtonElement>('#tab-train'), $<HTMLElement>('#view-train')],
] as const;
for (const [tab] of tabs) {
  tab.addEventListener('click', () => {
    for (const [t, view] of tabs) {
      t.setAttribute('aria-pressed', String(t === tab));
      view.hidden = t !== tab;
    }
  });
}
new TrainView(predictor, loadMnistAssets);

async function start(): Promise<void> {
  const choice = await chooseBackend(new URLSearchParams(location.search).get('backend'));
  appState.backend = choice.backend;
  appState.backendMs = performance.now();
  const backendLabel = $<HTMLElement>('#backend');
  backendLabel.textContent = choice.backend;
  backendLabel.title = [choice.reason, ...choice.skipped.map((line) => `skipped ${line}`)].join('\n');
  await switchModel(() => modelFromUrl(DEFAULT_MODEL_URL, 'default model (tutorial MLP)'), 'the default model');
  appState.modelMs = performance.now();
  predictor.warmUp();
  showRunsOn();
  appState.readyMs = performance.now();
  clearMessage();
  document.body.dataset.ready = 'true';
  try {
    const data = await loadMnistAssets();
    grid = new TestGrid($('#grid'), $('#grid-summary'), predictor, data.test);
    grid.shuffle();
    $('#shuffle-grid').addEventListener('click', () => grid?.shuffle());
  } catch (error) {
    showError(error, 'Could not load the MNIST test digits');
  }
}

start().catch((error) => showError(error, 'The app could not start'));

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register('./sw.js').catch((error) => console.warn('No offline support:', error));
}
