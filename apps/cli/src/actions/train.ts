import type { Command } from 'commander';
import type * as tf from '@tensorflow/tfjs';
import { DigitsError, PREPROCESSING_SPEC, takeFirst, type Dataset, type Split } from '@digits/mnist-data';
import {
  createCnn,
  createMlp,
  evaluate,
  selectBackend,
  train,
  type EpochLog,
  type History,
} from '@digits/model';
import { saveModel, type ModelCard } from '@digits/model-io/node';
import type { TrainFlags, TrainSettings } from '../commands/train';
import { loadDataset } from '../data';
import { EXIT_INTERRUPTED } from '../errors';
import { HISTORY_FILES, writeHistoryFiles, writeHistoryPlots } from '../history';
import { Output, formatNumber } from '../output';
import { EpochProgress, formatEpochLine } from '../progress';
import { openModel } from './open-model';

export async function trainCommand(flags: TrainFlags, command: Command): Promise<void> {
  const out = new Output(flags.json);
  // The backend before the weights are created (or loaded, when resuming), so they live on it.
  const opened = flags.resume ? await openModel(flags.resume, flags.backend) : undefined;
  const backend = opened?.backend ?? (await selectBackend(flags.backend));
  out.note(`Backend: ${backend.name} - ${backend.reason}`);
  for (const line of backend.skipped) out.note(`  skipped ${line}`);

  const resumed = opened && flags.resume ? checkpointState(flags.resume, opened.model, opened.card) : undefined;
  const settings = resumed ? resumedSettings(resumed.settings, flags, command) : pickSettings(flags);
  const dir = flags.resume ?? flags.out ?? `./models/digits-${settings.arch}`;

  const data = await loadDataset(settings.dataset);
  const trainSplit = settings.limit ? takeFirst(data.train, settings.limit) : data.train;
  const heldOutName = settings.validationSplit ? 'validation' : 'test';
  const model = resumed?.model ?? (settings.arch === 'cnn' ? createCnn({ seed: settings.seed }) : createMlp({ seed: settings.seed }));
  const previous = resumed?.history ?? [];

  out.line(
    `Training the ${settings.arch.toUpperCase()} (${model.countParams().toLocaleString('en-US')} parameters) on ${trainSplit.count} ${data.name} images, ` +
      `validating on ${settings.validationSplit ? `${settings.validationSplit * 100}% of them` : `the ${data.test.count} test images`}, ` +
      `${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'} of batch size ${settings.batchSize}`,
  );
  if (resumed) out.line(`Resuming ${dir} after epoch ${previous.length}`);

  const save = (history: EpochLog[], extra: Partial<ModelCard> = {}) =>
    saveModel(model, dir, { card: modelCard(model, settings, data, trainSplit, history, extra), includeOptimizer: true });

  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED);
    stop.abort();
    process.stderr.write('\nStopping after the current batch (Ctrl-C again to quit now)...\n');
  };
  process.on('SIGINT', onSigint);
  const progress = new EpochProgress(settings.epochs, { enabled: !flags.json });
  let epoch = previous.length + 1;
  let history: History;
  try {
    history = await train(model, trainSplit, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      seed: settings.seed,
      augment: settings.augment,
      history: previous,
      ...(settings.validationSplit ? { validationSplit: settings.validationSplit } : { validationData: data.test }),
      signal: stop.signal,
      onBegin: (started) => out.note(trainerLine(started, backend.backend)),
      onBatchEnd: (batch, batches, logs) => progress.batch(epoch, batch + 1, batches, logs.loss),
      onEpochEnd: (log) => {
        progress.endEpoch();
        out.line(formatEpochLine(log, settings.epochs));
        epoch = log.epoch + 1;
      },
      checkpoint: async (_model, _epoch, soFar) => {
        await save(soFar.epochs);
        await writeHistoryFiles(dir, soFar.epochs);
      },
    });
  } finally {
    progress.endEpoch();
    process.off('SIGINT', onSigint);
  }

  if (history.stopped === 'aborted') {
    await writeHistoryPlots(dir, history.epochs, heldOutName);
    process.stderr.write(`Interrupted: ${history.epochs.length} completed epochs are saved in ${dir}\n`);
    process.stderr.write(`Continue with: digits train --resume ${dir}\n`);
    out.result({ interrupted: true, out: dir, epochs: history.epochs });
    process.exitCode = EXIT_INTERRUPTED;
    return;
  }

  const test = await evaluate(model, data.test);
  // saveModel replaces the whole directory atomically, so the history and plots are written after it
  await save(history.epochs, { testAccuracy: test.accuracy, testLoss: test.loss });
  await writeHistoryFiles(dir, history.epochs);
  const files = await writeHistoryPlots(dir, history.epochs, heldOutName);
  out.line(`Test loss: ${formatNumber(test.loss)}`);
  out.line(`Test accuracy: ${formatNumber(test.accuracy)}`);
  out.line(`Saved the model to ${dir} (model.json + weights, model card inside)`);
  out.line(`Wrote ${[HISTORY_FILES.json, HISTORY_FILES.csv, HISTORY_FILES.accuracy, HISTORY_FILES.loss].map((f) => `${dir}/${f}`).join(', ')}`);
  out.result({
    out: dir,
    backend: { name: backend.backend, reason: backend.reason },
    trainer: { name: history.trainer, ...(history.trainerReason ? { reason: history.trainerReason } : {}) },
    settings,
    epochs: history.epochs,
    stopped: history.stopped ?? null,
    test,
    files: { history: [`${dir}/${HISTORY_FILES.json}`, `${dir}/${HISTORY_FILES.csv}`], plots: files },
  });
}

/** 'Trainer: engine', or 'Trainer: tfjs on wasm (engine: layer ... is not ...)': never a silent fallback. */
function trainerLine(history: History, tfjsBackend: string): string {
  if (history.trainer !== 'tfjs') return `Trainer: ${history.trainer}`;
  return `Trainer: tfjs on ${tfjsBackend}${history.trainerReason ? ` (${history.trainerReason})` : ''}`;
}

function pickSettings(flags: TrainFlags): TrainSettings {
  return {
    arch: flags.arch,
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    seed: flags.seed,
    augment: flags.augment,
    dataset: flags.dataset,
    ...(flags.validationSplit !== undefined ? { validationSplit: flags.validationSplit } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
  };
}

function resumedSettings(saved: TrainSettings, flags: TrainFlags, command: Command): TrainSettings {
  // --backend is not a setting of the run; of the settings only --epochs may change on resume
  const epochsGiven = command.getOptionValueSource('epochs') === 'cli';
  return { ...saved, ...(epochsGiven ? { epochs: flags.epochs } : {}) };
}

function modelCard(
  model: tf.LayersModel,
  settings: TrainSettings,
  data: Dataset,
  trainSplit: Split,
  history: EpochLog[],
  extra: Partial<ModelCard>,
) {
  const optimizer = model.optimizer ? { className: model.optimizer.getClassName(), ...model.optimizer.getConfig() } : undefined;
  return {
    name: `digits-${settings.arch}`,
    training: { ...settings, completedEpochs: history.length, optimizer },
    history,
    preprocessing: PREPROCESSING_SPEC,
    dataset: { name: data.name, ...(data.checksums ? { checksums: data.checksums } : {}), trainCount: trainSplit.count, testCount: data.test.count },
    ...extra,
  };
}

function checkpointState(
  dir: string,
  model: tf.LayersModel,
  card: ModelCard | undefined,
): { model: tf.LayersModel; settings: TrainSettings; history: EpochLog[] } {
  const training = card?.training as Partial<TrainSettings> | undefined;
  if (!training?.arch || !training.epochs || !training.batchSize || !Array.isArray(card?.history)) {
    throw new DigitsError('MODEL_INVALID', 'no training state in this model card: was it written by `digits train`?', { file: dir });
  }
  const settings: TrainSettings = {
    arch: training.arch,
    epochs: training.epochs,
    batchSize: training.batchSize,
    seed: training.seed ?? 0,
    augment: training.augment ?? false,
    dataset: training.dataset ?? 'mnist',
    ...(training.validationSplit !== undefined ? { validationSplit: training.validationSplit } : {}),
    ...(training.limit !== undefined ? { limit: training.limit } : {}),
  };
  return { model, settings, history: card.history as EpochLog[] };
}
