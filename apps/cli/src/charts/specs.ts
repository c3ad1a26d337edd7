import type { TopLevelSpec } from 'vega-lite';

/** Sizes of the PNGs the CLI writes, in pixels (the tests check them). */
export const CHART_SIZE = { width: 640, height: 420 } as const;
export const CONFUSION_SIZE = { width: 560, height: 520 } as const;
export const DIGIT_CELL = { image: 112, title: 26, gap: 12 } as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif' };

interface EpochPoint {
  epoch: number;
  loss: number;
  acc: number;
  val_loss?: number;
  val_acc?: number;
}

/**
 * The tutorial's two training plots: "model accuracy" / "model loss" against "epoch", one line for
 * the training set and one for the held-out set (`heldOutName` is "test" when the tutorial's
 * validation_data=(X_test, Y_test) is used, "validation" for a split of the training set).
 */
export function historySpec(epochs: EpochPoint[], metric: 'acc' | 'loss', heldOutName: string): TopLevelSpec {
  const values = epochs.flatMap((e) => {
    const held = metric === 'acc' ? e.val_acc : e.val_loss;
    const rows = [{ epoch: e.epoch, value: e[metric], set: 'train' }];
    return held === undefined ? rows : [...rows, { epoch: e.epoch, value: held, set: heldOutName }];
  });
  const label = metric === 'acc' ? 'accuracy' : 'loss';
  return {
    $schema: SCHEMA,
    title: `model ${label}`,
    ...CHART_SIZE,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    config: FONT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title: label, scale: { zero: false } },
      color: {
        field: 'set',
        type: 'nominal',
        title: null,
        sort: ['train', heldOutName],
        // where the tutorial puts it: the corner the curves leave empty
        legend: { orient: metric === 'acc' ? 'bottom-right' : 'top-right', fillColor: 'white', padding: 6 },
      },
    },
  };
}

/** Confusion matrix heat map: rows are the true digit, columns the predicted one, counts written in. */
export function confusionSpec(matrix: number[][], classNames: string[]): TopLevelSpec {
  const values = matrix.flatMap((row, t) =>
    row.map((count, p) => ({ true: classNames[t] ?? String(t), predicted: classNames[p] ?? String(p), count })),
  );
  const order = classNames.slice(0, matrix.length);
  const max = Math.max(...values.map((v) => v.count));
  return {
    $schema: SCHEMA,
    title: 'confusion matrix (test set)',
    ...CONFUSION_SIZE,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    config: { ...FONT, axis: { grid: false } },
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted label', axis: { labelAngle: 0, orient: 'top' } },
      y: { field: 'true', type: 'ordinal', sort: order, title: 'true label' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'count', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' }, legend: null },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 8}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

export interface DigitTile {
  /** data: URL of the (already enlarged) digit PNG */
  url: string;
  caption: string;
  /** highlights the caption, e.g. a wrong prediction */
  captionColor?: string;
}

export function digitGridSize(count: number, columns: number, title: boolean): { width: number; height: number } {
  const rows = Math.max(1, Math.ceil(count / columns));
  const cell = DIGIT_CELL.image + DIGIT_CELL.gap;
  return {
    width: Math.min(count, columns) * cell + DIGIT_CELL.gap,
    height: (title ? 36 : 0) + rows * (cell + DIGIT_CELL.title) + DIGIT_CELL.gap,
  };
}

/**
 * A grid of digit images with a caption above each, like the tutorial's subplot grids. One
 * Vega-Lite view with pixel-valued positions (`scale: null`) so the PNG size is exactly known.
 */
export function digitGridSpec(tiles: DigitTile[], columns: number, title?: string): TopLevelSpec {
  const { width, height } = digitGridSize(tiles.length, columns, Boolean(title));
  const cell = DIGIT_CELL.image + DIGIT_CELL.gap;
  const top = title ? 36 : 0;
  const values = tiles.map((tile, i) => {
    const x = DIGIT_CELL.gap + (i % columns) * cell;
    const y = top + DIGIT_CELL.gap + Math.floor(i / columns) * (cell + DIGIT_CELL.title);
    return { ...tile, captionColor: tile.captionColor ?? 'black', x, y, cx: x + DIGIT_CELL.image / 2 };
  });
  const position = (field: string) => ({ field, type: 'quantitative' as const, scale: null });
  return {
    $schema: SCHEMA,
    width,
    height,
    autosize: 'none',
    padding: 0,
    config: { ...FONT, view: { stroke: null } },
    data: { values },
    layer: [
      {
        mark: { type: 'image', width: DIGIT_CELL.image, height: DIGIT_CELL.image, align: 'left', baseline: 'top' },
        encoding: { url: { field: 'url' }, x: position('x'), y: { field: 'imageY', type: 'quantitative', scale: null } },
        transform: [{ calculate: `datum.y + ${DIGIT_CELL.title}`, as: 'imageY' }],
      },
      {
        mark: { type: 'text', baseline: 'middle', align: 'center', fontSize: 13 },
        encoding: {
          text: { field: 'caption' },
          x: position('cx'),
          y: { field: 'captionY', type: 'quantitative', scale: null },
          color: { field: 'captionColor', type: 'nominal', scale: null },
        },
        transform: [{ calculate: `datum.y + ${DIGIT_CELL.title / 2}`, as: 'captionY' }],
      },
      ...(title
        ? [
            {
              data: { values: [{ title, x: width / 2, y: 22 }] },
              mark: { type: 'text' as const, fontSize: 16, fontWeight: 'bold' as const, align: 'center' as const },
              encoding: { text: { field: 'title' }, x: position('x'), y: position('y') },
            },
          ]
        : []),
    ],
  };
}

/** Histograms of normalized pixel values of a few images, bars side by side per bin (bins from @digits/mnist-data). */
export function pixelHistogramSpec(series: { name: string; edges: number[]; counts: number[] }[]): TopLevelSpec {
  const values = series.flatMap((s) =>
    s.counts.map((count, i) => ({ image: s.name, bin: `${(s.edges[i] ?? 0).toFixed(2)}-${(s.edges[i + 1] ?? 1).toFixed(2)}`, order: i, count })),
  );
  return {
    $schema: SCHEMA,
    title: 'pixel value distribution (normalized to 0..1)',
    ...CHART_SIZE,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    config: FONT,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'bin', type: 'ordinal', sort: { field: 'order' }, title: 'pixel value', axis: { labelAngle: -45 } },
      xOffset: { field: 'image', type: 'nominal' },
      // most pixels are background (0): a symlog axis keeps the ink bins readable
      y: { field: 'count', type: 'quantitative', title: 'number of pixels (symlog scale)', scale: { type: 'symlog' } },
      color: { field: 'image', type: 'nominal', title: null, legend: { orient: 'top-right', fillColor: 'white', padding: 6 } },
    },
  };
}
