import './styles.css';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from './backend';
import { DrawPad } from './draw-pad';
import { decodeImageFile, isImageFile } from './image-file';
import { KeyboardPen } from './keyboard-pen';
import { showError, showMessage } from './messages';
import { loadMnistAssets, loadTestSplit } from './mnist-assets';
import { builtInModel, modelFromFiles, modelFromUrl, type ActiveModel } from './model-source';
import { CompareView } from './compare-view';
import { ExplainView } from './explain-view';
import { ModelPicker } from './model-picker';
import { enableOffline } from './offline';
import { paintPixels } from './pixels';
import { Predictor } from './predictor';
import { ProbabilityBars } from './probability-bars';
import { TestGrid } from './test-grid';
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
// firstDrawnMs: when the first prediction of something drawn or uploaded was on screen.
const explain = new ExplainView($('#explain'), $('#saliency'), $('#saliency-caption'), $('#explain-units'));
const compare = new CompareView($('#compare'), $('#compare-model'), $('#compare-pin'), predictor, builtInModel, (e) => showError(e, 'Could not load model B', { at: $('#compare-model') }), $);
const appState = {
  backend: '',
  backendMs: NaN,
  modelMs: NaN,
  readyMs: NaN,
  firstDrawnMs: NaN,
  lastPredictionMs: NaN,
  predictions: 0,
  offline: false,
  tensors: () => tf.memory().numTensors,
  explained: () => explain.updates,
  compared: () => compare.updates,
};
(window as unknown as { digitsApp: typeof appState }).digitsApp = appState;

/** Predicts and shows the result; false when it failed (the message says why). */
function readImage(image: RawImage, at?: Element): boolean {
  try {
    const reading = predictor.read(image);
    if (!reading) {
      showBlank();
      return true;
    }
    paintPixels(preview, reading.pixels, 255);
    bars.show(reading.probabilities, reading.verdict);
    explain.update(predictor.current!.model, reading.pixels);
    compare.update(reading);
    appState.predictions++;
    appState.lastPredictionMs = performance.now();
    if (Number.isNaN(appState.firstDrawnMs)) appState.firstDrawnMs = appState.lastPredictionMs;
    return true;
  } catch (error) {
    showError(error, 'Could not read the image', { at: at ?? $('#pad') });
    return false;
  }
}

function showBlank(): void {
  bars.reset();
  paintPixels(preview, new Float32Array(784));
  explain.clear();
  compare.update(null);
}

// Throttled live prediction: leading call, then at most one per interval, with a trailing call.
let lastRun = 0;
let timer: number | undefined;
function schedulePrediction(): void {
  if (timer !== undefined) return;
  const wait = PREDICT_INTERVAL_MS - (performance.now() - lastRun);
  timer = window.setTimeout(() => {
    timer = undefined;
    lastRun = performance.now();
    uploaded = null;
    readImage(pad.image());
  }, Math.max(0, wait));
}

function cancelPrediction(): void {
  window.clearTimeout(timer);
  timer = undefined;
}

const pad = new DrawPad($('#pad'), (p) => {
  if (p.hasInk) schedulePrediction();
  else {
    cancelPrediction();
    uploaded = null;
    showBlank();
  }
});
const keyboardPen = new KeyboardPen(pad, $('#pad'), $('#pen-status'));

function clearPad(): void {
  cancelPrediction();
  pad.clear();
  keyboardPen.lift();
  uploaded = null;
  showBlank();
}
// pointerup as well as click: on touch screens a tap right after a stroke can be taken for the
// second tap of a double tap, and its click never comes (the pad would keep the old digit)
const clearButton = $<HTMLButtonElement>('#clear');
clearButton.addEventListener('click', clearPad);
clearButton.addEventListener('pointerup', (e) => {
  if (e.pointerType !== 'mouse') clearPad();
});

/** A test digit from the grid: drawn on the pad (dark on white, as a visitor would see it) and read. */
function sendToPad({ index, label, image }: { index: number; label: number; image: Uint8Array }): void {
  cancelPrediction();
  const digit = document.createElement('canvas');
  paintPixels(digit, image.map((v) => 255 - v));
  pad.drawImage(digit, 28, 28);
  uploaded = { data: image, width: 28, height: 28, channels: 1 };
  if (readImage(uploaded)) showMessage(`Test image ${index} (label ${label}) is on the pad.`, { at: $('#pad') });
  $<HTMLCanvasElement>('#pad').focus();
}

async function readImageFile(file: File, at: Element): Promise<void> {
  try {
    const { raw, bitmap } = await decodeImageFile(file);
    pad.drawImage(bitmap, bitmap.width, bitmap.height);
    bitmap.close();
    uploaded = raw;
    if (readImage(raw, at)) showMessage(`Read ${file.name}.`, { at });
  } catch (error) {
    showError(error, 'Could not read the image', { at, subject: file.name });
  }
}
$<HTMLInputElement>('#image-file').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (file) void readImageFile(file, input);
});

/** Loads a model and makes it active; `at` is the control used (where the messages appear). */
async function switchModel(load: () => Promise<ActiveModel>, what: string, at?: Element): Promise<boolean> {
  if (at) showMessage(`Loading ${what}…`, { at });
  try {
    const next = await load();
    predictor.use(next);
    if (at) showMessage(`Now using ${next.label}.`, { at });
    return true;
  } catch (error) {
    showError(error, 'Could not load the model', { at, subject: what });
    return false;
  }
}

/** Where this model's predictions run, on the model's name (hover) and for the tests. */
function showRunsOn(): void {
  const name = $<HTMLElement>('#model-name');
  name.dataset.runsOn = predictor.runsOn;
  name.title = `predictions: ${predictor.runsOn}`;
}

const picker = new ModelPicker($('#model-picker'), (id) =>
  void switchModel(() => builtInModel(id), id === 'mlp' ? 'the tutorial MLP' : 'the default model', $('#model-picker')),
);

predictor.onChange((active) => {
  picker.show(active);
  $('#model-name').textContent = active.label;
  $('#model-card').textContent = active.card ? JSON.stringify(active.card, null, 2) : 'No model card for this model.';
  if (uploaded) readImage(uploaded);
  else if (pad.hasInk) readImage(pad.image());
  grid?.render();
  showRunsOn();
});

const defaultModel = () => builtInModel('default');

$<HTMLFormElement>('#url-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = $<HTMLInputElement>('#model-url').value.trim();
  if (url) void switchModel(() => modelFromUrl(url), url, e.target as Element);
});
$<HTMLInputElement>('#model-files').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const files = [...(input.files ?? [])];
  input.value = '';
  if (files.length > 0) void switchModel(() => modelFromFiles(files), files.map((f) => f.name).join(', '), input);
});

// Drop anywhere: images are read, anything else is taken as a model. Messages appear in the panel
// the files were dropped on (the model panel when dropped outside any).
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
  const target = e.target instanceof Element ? e.target : null;
  const image = files.length === 1 && isImageFile(files[0]!);
  const at = target?.closest('.panel') ? target : image ? $('#image-file') : $('#model-files');
  if (image) void readImageFile(files[0]!, at);
  else void switchModel(() => modelFromFiles(files), files.map((f) => f.name).join(', '), at);
});

// Views. The Train view's code (training, charts, gradients) loads the first time it opens.
const tabs = [
  [$<HTMLButtonElement>('#tab-draw'), $<HTMLElement>('#view-draw')],
  [$<HTMLButtonElement>('#tab-train'), $<HTMLElement>('#view-train')],
] as const;
let trainView: Promise<unknown> | null = null;
function openTrainView(): void {
  trainView ??= Promise.all([import('./train-view'), backendReady])
    .then(([{ TrainView }, choice]) => new TrainView(predictor, loadMnistAssets, choice))
    .catch((error: unknown) => {
      trainView = null;
      showError(error, 'The Train view could not load', { at: $('#train-form') });
    });
}
for (const [tab] of tabs) {
  tab.addEventListener('click', () => {
    for (const [t, view] of tabs) {
      t.setAttribute('aria-pressed', String(t === tab));
      view.hidden = t !== tab;
    }
    if (tab.id === 'tab-train') openTrainView();
  });
}

let chosen!: (name: string) => void;
/** The selected backend's name ('engine', 'wasm', 'webgl'...), once chosen. */
const backendReady = new Promise<string>((resolve) => (chosen = resolve));

async function start(): Promise<void> {
  const choice = await chooseBackend(new URLSearchParams(location.search).get('backend'));
  chosen(choice.name);
  appState.backend = choice.backend;
  appState.backendMs = performance.now();
  const backendLabel = $<HTMLElement>('#backend');
  backendLabel.textContent = choice.backend;
  backendLabel.dataset.choice = choice.name;
  backendLabel.title = [choice.reason, ...choice.skipped.map((line) => `skipped ${line}`)].join('\n');
  if (!(await switchModel(defaultModel, 'the default model'))) return;
  appState.modelMs = performance.now();
  predictor.warmUp();
  showRunsOn();
  appState.readyMs = performance.now();
  document.body.dataset.ready = 'true';
  try {
    grid = new TestGrid($('#grid'), $('#grid-summary'), predictor, await loadTestSplit(), sendToPad);
    grid.shuffle();
    $('#shuffle-grid').addEventListener('click', () => grid?.shuffle());
  } catch (error) {
    showError(error, 'Could not load the MNIST test digits', { at: $('#shuffle-grid') });
  }
  // after the first prediction and the data: the worker's precache finds these in the HTTP cache
  appState.offline = (await enableOffline()) !== undefined;
}

start().catch((error) => showError(error, 'The app could not start'));
