import type { Command } from 'commander';
import { takeFirst } from '@digits/mnist-data';
import { assertModelFits, createCnn, createMlp, evaluate, selectBackend, train, type BackendChoice, type EpochLog, type History } from '@digits/model';
import {
  checkCheckpointDataset,
  datasetIdentity,
  loadCheckpoint,
  ModelDirectory,
  saveCheckpoint,
  type DatasetIdentity,
  type ModelCardInput,
} from '@digits/model-io/node';
import { datasetSource, loadDataset } from '../data';
import { EXIT_INTERRUPTED } from '../errors';
import { writeHistoryFiles, writeHistoryPlots } from '../history';
import { Output, formatNumber } from '../output';
import { EpochProgress, formatEpochLine } from '../progress';

/** What a run was started with; stored in the model card so `--resume` can carry on alone. */
export interface TrainSettings {
  arch: 'mlp' | 'cnn';
  epochs: number;
  batchSize: number;
  validationSplit?: number;
  seed: number;
  augment: boolean;
  dataset: string;
  limit?: number;
}

export interface TrainFlags extends TrainSettings {
  backend: string;
  out?: string;
  resume?: string;
  force: boolean;
  json: boolean;
}

export async function trainCommand(flags: TrainFlags, command: Command): Promise<void> {
  const dir = flags.resume ?? flags.out ?? `./models/digits-${flags.arch}`;
  // The target before anything else: a directory holding other files, a model not to be replaced
  // or another run writing there is refused before any data loads or any training starts.
  const target = await ModelDirectory.open(dir, {
    overwrite: flags.resume !== undefined || flags.force,
    overwriteHint: `add --force to replace it (or --resume ${dir} to continue its training)`,
  });
  try {
    await trainInto(target, flags, command);
  } finally {
    await target.close();
  }
}

async function trainInto(target: ModelDirectory, flags: TrainFlags, command: Command): Promise<void> {
  const out = new Output(flags.json);
  const dir = target.path;
  // From here on Ctrl-C stops gracefully (after the current batch, or before the first one when it
  // comes while the data loads): what is saved then is a checkpoint that --resume can continue.
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED);
    stop.abort();
    process.stderr.write('\nStopping after the current batch (Ctrl-C again to quit now)...\n');
  };
  process.on('SIGINT', onSigint);
  try {
    await trainWith(target, flags, command, out, stop);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function trainWith(target: ModelDirectory, flags: TrainFlags, command: Command, out: Output, stop: AbortController): Promise<void> {
  const dir = target.path;
  // The backend before the weights are created (or loaded, when resuming), so they live on it;
  // a checkpoint's files are read and checked before the backend starts.
  let selected: BackendChoice | undefined;
  const resumed = flags.resume
    ? await loadCheckpoint<TrainSettings, EpochLog>(flags.resume, { beforeBuild: async () => void (selected = await selectBackend(flags.backend)) })
    : undefined;
  const backend = selected ?? (await selectBackend(flags.backend));

  const settings = resumed ? resumedSettings(resumed.settings, resumed.dataset, flags, command) : pickSettings(flags);
  const data = await loadDataset(settings.dataset);
  if (resumed) await checkCheckpointDataset(resumed.dataset, data);
  out.note(`Backend: ${backend.name} - ${backend.reason}`);
  for (const line of backend.skipped) out.note(`  skipped ${line}`);
  const dataset: DatasetIdentity = resumed?.dataset ?? (await datasetIdentity(data, settings.dataset));
  const trainSplit = settings.limit ? takeFirst(data.train, settings.limit) : data.train;
  const heldOutName = settings.validationSplit ? 'validation' : 'test';
  const model = resumed?.model ?? (settings.arch === 'cnn' ? createCnn({ seed: settings.seed }) : createMlp({ seed: settings.seed }));
  const previous = resumed?.history ?? [];
  // before the starting point is saved: a model that cannot learn these images is no checkpoint
  assertModelFits(model, { rows: trainSplit.rows, cols: trainSplit.cols, classes: 10 }, `the ${trainSplit.rows}x${trainSplit.cols} images of ${data.name}`);

  out.line(
    `Training the ${settings.arch.toUpperCase()} (${model.countParams().toLocaleString('en-US')} parameters) on ${trainSplit.count} ${data.name} images, ` +
      `validating on ${settings.validationSplit ? `${settings.validationSplit * 100}% of them` : `the ${data.test.count} test images`}, ` +
      `${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'} of batch size ${settings.batchSize}`,
  );
  if (resumed) out.line(`Resuming ${dir} after epoch ${previous.length}`);

  const save = (history: EpochLog[], card: ModelCardInput = {}) =>
    saveCheckpoint(model, target, { settings, history, dataset }, { card: { name: `digits-${settings.arch}`, ...card } });
  // The starting point (epoch 0) is a checkpoint too, so that a run stopped during its first epoch
  // can be resumed; over a model replaced with --force the old one stays until epoch 1 is done.
  const startSaved = !resumed && !target.hadModel;

  const progress = new EpochProgress(settings.epochs, { enabled: !flags.json });
  let epoch = previous.length + 1;
  let history: History;
  try {
    if (startSaved) await save([]);
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
        await writeHistoryFiles(target, soFar.epochs);
      },
    });
  } finally {
    progress.endEpoch();
  }

  if (history.stopped === 'aborted') {
    const completed = history.epochs.length;
    if (completed > 0) await writeHistoryPlots(target, history.epochs, heldOutName);
    if (completed > 0 || resumed || startSaved) {
      const what = completed > 0 ? `${completed} completed epoch${completed === 1 ? ' is' : 's are'}` : 'no epoch completed; the starting point (epoch 0) is';
      process.stderr.write(`Interrupted: ${what} saved in ${dir}\n`);
      process.stderr.write(`Continue with: digits train --resume ${dir}\n`);
    } else {
      process.stderr.write(`Interrupted before the first epoch completed: nothing was saved, ${dir} still holds the model it held before\n`);
    }
    out.result({ interrupted: true, out: dir, epochs: history.epochs, resumable: completed > 0 || resumed !== undefined || startSaved });
    process.exitCode = EXIT_INTERRUPTED;
    return;
  }

  const test = await evaluate(model, data.test);
  // each save replaces the directory's files atomically, so the history and plots are written after it
  await save(history.epochs, { testAccuracy: test.accuracy, testLoss: test.loss });
  const historyFiles = await writeHistoryFiles(target, history.epochs);
  const plots = await writeHistoryPlots(target, history.epochs, heldOutName);
  out.line(`Test loss: ${formatNumber(test.loss)}`);
  out.line(`Test accuracy: ${formatNumber(test.accuracy)}`);
  out.line(`Saved the model to ${dir} (model.json + weights, model card inside)`);
  out.line(`Wrote ${[...historyFiles, ...plots].join(', ')}`);
  out.result({
    out: dir,
    backend: { name: backend.backend, reason: backend.reason },
    trainer: { name: history.trainer, ...(history.trainerReason ? { reason: history.trainerReason } : {}) },
    settings,
    epochs: history.epochs,
    stopped: history.stopped ?? null,
    test,
    files: { history: historyFiles, plots },
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
    // a directory as an absolute path: a resume from another working directory finds it
    dataset: datasetSource(flags.dataset),
    ...(flags.validationSplit !== undefined ? { validationSplit: flags.validationSplit } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
  };
}

function resumedSettings(saved: TrainSettings, dataset: DatasetIdentity, flags: TrainFlags, command: Command): TrainSettings {
  // --backend is not a setting of the run; of the settings only --epochs may change on resume
  const epochsGiven = command.getOptionValueSource('epochs') === 'cli';
  return { ...saved, dataset: dataset.source, ...(epochsGiven ? { epochs: flags.epochs } : {}) };
}
