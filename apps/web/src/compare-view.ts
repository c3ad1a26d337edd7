import { predictProbabilities, readProbabilities } from '@digits/model';
import type { ActiveModel, BuiltInModel } from './model-source';
import type { Predictor, Reading } from './predictor';
import { ProbabilityBars } from './probability-bars';

interface Column {
  name: HTMLElement;
  bars: ProbabilityBars;
}

/**
 * Two models side by side on the same drawing, in a <details>: A is the active model, B a built-in
 * one (picked in the select) or whatever model was active when "Use the active model as B" was
 * pressed (a dropped Keras file, the model just trained). Updates with every prediction while open.
 */
export class CompareView {
  /** How many times both columns were drawn (the tests watch it). */
  updates = 0;
  private b: (ActiveModel & { pinned: boolean }) | null = null;
  private last: Reading | null = null;
  private readonly a: Column;
  private readonly bColumn: Column;

  constructor(
    private readonly details: HTMLDetailsElement,
    private readonly select: HTMLSelectElement,
    pin: HTMLButtonElement,
    private readonly predictor: Predictor,
    private readonly loadBuiltIn: (id: BuiltInModel['id']) => Promise<ActiveModel>,
    private readonly onError: (error: unknown) => void,
    $: <T extends Element>(selector: string) => T,
  ) {
    const column = (side: 'a' | 'b'): Column => ({
      name: $(`#compare-${side}-name`),
      bars: new ProbabilityBars($(`#compare-${side}-bars`), $(`#compare-${side}-digit`), $(`#compare-${side}-confidence`)),
    });
    this.a = column('a');
    this.bColumn = column('b');
    details.addEventListener('toggle', () => {
      if (details.open && !this.b) void this.chooseBuiltIn();
      else this.render();
    });
    select.addEventListener('change', () => void this.chooseBuiltIn());
    pin.addEventListener('click', () => {
      const active = predictor.current;
      if (!active) return;
      predictor.retain(active.model);
      this.replaceB({ ...active, pinned: true });
    });
  }

  /** A prediction was made (or the active model changed): show it and model B's on the same pixels. */
  update(reading: Reading | null): void {
    this.last = reading;
    this.render();
  }

  private async chooseBuiltIn(): Promise<void> {
    try {
      const next = await this.loadBuiltIn(this.select.value as BuiltInModel['id']);
      this.replaceB({ ...next, pinned: false });
    } catch (error) {
      this.onError(error);
    }
  }

  private replaceB(next: ActiveModel & { pinned: boolean }): void {
    const previous = this.b;
    this.b = next;
    if (previous && previous.model !== next.model) {
      if (previous.pinned) this.predictor.release(previous.model);
      else previous.model.dispose();
    }
    this.render();
  }

  private render(): void {
    if (!this.details.open) return;
    this.a.name.textContent = this.predictor.current?.label ?? '–';
    this.bColumn.name.textContent = this.b?.label ?? 'loading…';
    if (!this.last || !this.b) {
      this.a.bars.reset();
      this.bColumn.bars.reset();
      return;
    }
    this.a.bars.show(this.last.probabilities, this.last.verdict);
    const probabilities = predictProbabilities(this.b.model, this.last.pixels);
    this.bColumn.bars.show(probabilities, readProbabilities(probabilities));
    this.updates++;
  }
}
