import cliProgress from 'cli-progress';
import { formatNumber } from './output';

export interface EpochLine {
  epoch: number;
  seconds: number;
  loss: number;
  acc: number;
  val_loss?: number;
  val_acc?: number;
}

/** `Epoch 3/20 - 2.1s - loss: 0.0723 - acc: 0.9773 - val_loss: 0.0717 - val_acc: 0.9765` (epoch is 1-based). */
export function formatEpochLine(log: EpochLine, epochs: number): string {
  const parts = [`Epoch ${log.epoch}/${epochs}`, `${log.seconds.toFixed(1)}s`, `loss: ${formatNumber(log.loss)}`, `acc: ${formatNumber(log.acc)}`];
  if (log.val_loss !== undefined) parts.push(`val_loss: ${formatNumber(log.val_loss)}`);
  if (log.val_acc !== undefined) parts.push(`val_acc: ${formatNumber(log.val_acc)}`);
  return parts.join(' - ');
}

/**
 * Batch progress within an epoch. On a terminal a bar on stderr that the epoch line replaces;
 * without one (CI, pipes, --json) nothing, so logs hold only the epoch lines.
 */
export class EpochProgress {
  private bar: cliProgress.SingleBar | undefined;
  private readonly enabled: boolean;

  constructor(
    private readonly epochs: number,
    options: { enabled: boolean },
  ) {
    this.enabled = options.enabled && Boolean(process.stderr.isTTY);
  }

  batch(epoch: number, batch: number, batches: number, loss?: number): void {
    if (!this.enabled) return;
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          clearOnComplete: true,
          hideCursor: true,
          format: `Epoch ${epoch}/${this.epochs} {bar} {value}/{total} batches - loss: {loss}`,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(batches, 0, { loss: 'n/a' });
    }
    this.bar.update(batch, { loss: formatNumber(loss) });
  }

  /** Ends the bar (if any) so the epoch line can be printed in its place. */
  endEpoch(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
