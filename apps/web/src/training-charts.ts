import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One chart's series: a value per batch, and validation values at epoch ends (null elsewhere). */
interface ChartSpec {
  title: string;
  batchName: string;
  validationName: string;
  /** Fixed y range (accuracy: 0..1); loss fits the data. */
  range?: [number, number];
}

const BATCH_COLOR = '#c2410c';
const VALIDATION_COLOR = '#1d3557';

/**
 * Live training charts (uPlot: real axes with ticks, the legend below the plot): loss and accuracy
 * per batch, validation points per epoch. Loaded with the Train view only.
 */
export class TrainingCharts {
  private readonly x: number[] = [];
  private readonly loss: (number | null)[] = [];
  private readonly valLoss: (number | null)[] = [];
  private readonly acc: (number | null)[] = [];
  private readonly valAcc: (number | null)[] = [];
  private readonly plots: uPlot[];
  private readonly resize: ResizeObserver;

  constructor(private readonly host: HTMLElement) {
    const specs: ChartSpec[] = [
      { title: 'Loss', batchName: 'loss (batch)', validationName: 'validation loss (epoch)' },
      { title: 'Accuracy', batchName: 'accuracy (batch)', validationName: 'validation accuracy (epoch)', range: [0, 1] },
    ];
    host.replaceChildren();
    this.plots = specs.map((spec) => {
      const figure = document.createElement('figure');
      figure.className = 'chart';
      figure.setAttribute('role', 'img');
      figure.setAttribute('aria-label', `${spec.title} per batch`);
      figure.dataset.chart = spec.title.toLowerCase();
      host.append(figure);
      return new uPlot(this.options(spec, figure.clientWidth || 320), [[], [], []], figure);
    });
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(host);
  }

  private options(spec: ChartSpec, width: number): uPlot.Options {
    return {
      title: spec.title,
      width,
      height: 200,
      scales: { x: { time: false }, y: spec.range ? { range: spec.range } : { range: (_u, _min, max) => [0, Math.max(max, 1e-3) * 1.05] } },
      axes: [
        { label: 'batch', size: 40 },
        { size: 48, values: (_u, ticks) => ticks.map((t) => (spec.range ? `${Math.round(t * 100)}%` : t.toFixed(2))) },
      ],
      series: [
        { label: 'batch' },
        { label: spec.batchName, stroke: BATCH_COLOR, width: 1.5, points: { show: false } },
        {
          label: spec.validationName,
          stroke: VALIDATION_COLOR,
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7, fill: VALIDATION_COLOR },
        },
      ],
      legend: { live: false },
      // the tick labels drawn (uPlot keeps them on its axes), on the figure for tests and tools
      hooks: {
        draw: [
          (u) => {
            const values = (i: number) => ((u.axes[i] as { _values?: unknown[] })._values ?? []).filter((v) => v !== null && v !== '');
            const figure = u.root.parentElement!;
            figure.dataset.xTicks = values(0).join(' ');
            figure.dataset.yTicks = values(1).join(' ');
          },
        ],
      },
      cursor: { drag: { x: false, y: false } },
    };
  }

  private fit(): void {
    for (const plot of this.plots) {
      const width = plot.root.parentElement?.clientWidth ?? 0;
      if (width > 0 && Math.abs(width - plot.width) > 1) plot.setSize({ width, height: 200 });
    }
  }

  addBatch(x: number, loss: number, acc: number): void {
    this.x.push(x);
    this.loss.push(loss);
    this.acc.push(acc);
    this.valLoss.push(null);
    this.valAcc.push(null);
  }

  /** Validation results at the last batch so far (the epoch's end). */
  addValidation(valLoss: number | undefined, valAcc: number | undefined): void {
    const last = this.x.length - 1;
    if (last < 0) return;
    if (valLoss !== undefined) this.valLoss[last] = valLoss;
    if (valAcc !== undefined) this.valAcc[last] = valAcc;
  }

  /** Redraws both charts; the counts go on the host for tests and curious visitors. */
  draw(): void {
    const [lossPlot, accPlot] = this.plots;
    lossPlot!.setData([this.x, this.loss, this.valLoss]);
    accPlot!.setData([this.x, this.acc, this.valAcc]);
    this.host.dataset.batches = String(this.x.length);
    this.host.dataset.validationPoints = String(this.valAcc.filter((v) => v !== null).length);
  }

  dispose(): void {
    this.resize.disconnect();
    for (const plot of this.plots) plot.destroy();
  }
}
