// Training is the only thing in the app that needs tfjs's gradients (the CNN trains on tfjs).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs';
import { isDigitsError, takeFirst, type Dataset } from '@digits/mnist-data';
import { countParameters, createCnn, createMlp, evaluate, train, type EpochLog } from '@digits/model';
import { showError } from './messages';
import type { Predictor } from './predictor';
import { TrainingCharts } from './training-charts';
import { recordThreadsInUse, showTrainingMode } from './training-mode';

const $ = <T extends Element>(selector: string) => document.querySelector<T>(selector)!;

/** Test images used to score a model trained in the page (fast enough on any backend). */
const EVAL_IMAGES = 2000;

/**
 * The Train view: builds the tutorial MLP or the CNN, trains it on the subset the visitor picked
 * with live per-batch charts, and hands the result to the predictor when done or stopped.
 */
export class TrainView {
  private controller: AbortController | null = null;
  private charts: TrainingCharts | null = null;
  private readonly status = $<HTMLParagraphElement>('#train-status');
  private readonly startButton = $<HTMLButtonElement>('#train-start');
  private readonly stopButton = $<HTMLButtonElement>('#train-stop');

  constructor(
    private readonly predictor: Predictor,
    private readonly dataset: () => Promise<Dataset>,
    backendChoice: string,
  ) {
    $<HTMLFormElement>('#train-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run();
    });
    showTrainingMode($<HTMLElement>('#train-mode'), backendChoice);
    this.stopButton.addEventListener('click', () => {
      this.controller?.abort();
      this.status.textContent = 'Stopping after this batch…';
    });
  }

  private async run(): Promise<void> {
    if (this.controller) return;
    const arch = ($<HTMLInputElement>('input[name="arch"]:checked').value as 'mlp' | 'cnn') ?? 'mlp';
    const count = Number($<HTMLSelectElement>('#train-count').value);
    const epochs = clampInt($<HTMLInputElement>('#train-epochs').value, 1, 50, 3);
    const batchSize = clampInt($<HTMLInputElement>('#train-batch').value, 8, 1024, 64);
    const controller = new AbortController();
    this.controller = controller;
    this.startButton.disabled = true;
    this.stopButton.disabled = false;
    this.stopButton.focus();
    $<HTMLOListElement>('#epoch-log').replaceChildren();

    this.charts?.dispose();
    const charts = (this.charts = new TrainingCharts($<HTMLElement>('#charts')));
    const redraw = () => charts.draw();
    redraw();
    let batchesPerEpoch = 1;
    let seen = 0;

    let model: tf.Sequential | null = null;
    try {
      this.status.textContent = 'Loading the MNIST training images…';
      const data = await this.dataset();
      const trainSplit = takeFirst(data.train, Math.min(count, data.train.count));
      model = arch === 'mlp' ? createMlp({ seed: 1 }) : createCnn({ seed: 1 });
      const name = arch === 'mlp' ? 'tutorial MLP' : 'CNN';
      this.status.textContent = `Training the ${name} (${countParameters(model).toLocaleString()} parameters) on ${trainSplit.count} images…`;
      let lastDraw = 0;
      const started = performance.now();
      const history = await train(model, trainSplit, {
        epochs,
        batchSize,
        seed: 1,
        validationSplit: 0.1,
        signal: controller.signal,
        onBatchEnd: (batch, batches, logs) => {
          batchesPerEpoch = batches;
          seen++;
          charts.addBatch(seen, logs.loss, logs.acc);
          // redrawn a few times a second: live, but drawing never slows the training down
          if (performance.now() - lastDraw > 100) {
            lastDraw = performance.now();
            redraw();
            const threads = recordThreadsInUse($<HTMLElement>('#train-mode'));
            this.status.textContent = `Training the ${name}: batch ${batch + 1} of ${batches}` + (threads > 0 ? ` (engine, ${threads} thread${threads > 1 ? 's' : ''})…` : '…');
          }
        },
        onEpochEnd: async (log: EpochLog) => {
          charts.addValidation(log.val_loss, log.val_acc);
          redraw();
          const item = document.createElement('li');
          item.textContent = `epoch ${log.epoch}: loss ${log.loss.toFixed(4)}, accuracy ${(log.acc * 100).toFixed(1)}%` +
            (log.val_acc !== undefined ? `, validation accuracy ${(log.val_acc * 100).toFixed(1)}%` : '') +
            ` (${log.seconds.toFixed(1)} s)`;
          $<HTMLOListElement>('#epoch-log').append(item);
          await tf.nextFrame();
        },
      });
      redraw();
      const stopped = controller.signal.aborted;
      await this.finish(model, name, data, stopped, epochsTrained(seen, batchesPerEpoch), performance.now() - started);
      model = null;
    } catch (error) {
      if (isDigitsError(error, 'ABORTED') && model) {
        redraw();
        const data = await this.dataset();
        await this.finish(model, arch === 'mlp' ? 'tutorial MLP' : 'CNN', data, true, epochsTrained(seen, batchesPerEpoch), 0);
        model = null;
      } else {
        this.status.textContent = 'Training failed.';
        showError(error, 'Training failed', { at: this.startButton });
      }
    } finally {
      model?.dispose();
      this.controller = null;
      this.startButton.disabled = false;
      this.stopButton.disabled = true;
    }
  }

  private async finish(model: tf.Sequential, name: string, data: Dataset, stopped: boolean, epochs: string, ms: number): Promise<void> {
    const { accuracy } = await evaluate(model, takeFirst(data.test, EVAL_IMAGES));
    this.predictor.use({
      model,
      label: `${name} trained here (${epochs}${stopped ? ', stopped' : ''})`,
      card: undefined,
    });
    this.status.dataset.accuracy = String(accuracy);
    this.status.textContent =
      `${stopped ? 'Stopped' : 'Done'}${ms ? ` in ${(ms / 1000).toFixed(1)} s` : ''}: accuracy ${(accuracy * 100).toFixed(1)}% on ${EVAL_IMAGES} test images. ` +
      'This model is now active: switch to Draw to try it.';
  }
}

/** "3 epochs", "1 epoch", or for a run stopped mid-epoch "69 batches, 0.49 epochs". */
export function epochsTrained(batches: number, batchesPerEpoch: number): string {
  const whole = Math.floor(batches / batchesPerEpoch);
  if (whole * batchesPerEpoch === batches) return `${whole} epoch${whole === 1 ? '' : 's'}`;
  return `${batches} batch${batches === 1 ? '' : 'es'}, ${(batches / batchesPerEpoch).toFixed(2)} epochs`;
}

function clampInt(value: string, min: number, max: number, fallback: number): number {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
