import type { DigitReading } from '@digits/model';

/** Ten bars, one per digit, and the large top digit; says "not sure" when the verdict does. */
export class ProbabilityBars {
  private readonly fills: HTMLSpanElement[] = [];
  private readonly values: HTMLSpanElement[] = [];
  private readonly items: HTMLLIElement[] = [];

  constructor(
    list: HTMLOListElement,
    private readonly top: HTMLOutputElement,
    private readonly confidence: HTMLElement,
  ) {
    for (let digit = 0; digit < 10; digit++) {
      const item = document.createElement('li');
      item.dataset.digit = String(digit);
      const label = document.createElement('span');
      label.textContent = String(digit);
      const bar = document.createElement('span');
      bar.className = 'bar';
      const fill = document.createElement('span');
      bar.append(fill);
      const value = document.createElement('span');
      value.className = 'value';
      item.append(label, bar, value);
      list.append(item);
      this.items.push(item);
      this.fills.push(fill);
      this.values.push(value);
    }
    this.reset();
  }

  show(probabilities: ArrayLike<number>, verdict?: DigitReading): number {
    let best = 0;
    for (let d = 1; d < 10; d++) if ((probabilities[d] ?? 0) > (probabilities[best] ?? 0)) best = d;
    for (let d = 0; d < 10; d++) {
      const p = probabilities[d] ?? 0;
      this.fills[d]!.style.width = `${(p * 100).toFixed(1)}%`;
      this.values[d]!.textContent = `${Math.round(p * 100)}%`;
      this.items[d]!.classList.toggle('top', d === best);
      this.items[d]!.setAttribute('aria-label', `${d}: ${(p * 100).toFixed(1)} percent`);
    }
    this.top.textContent = String(best);
    this.top.dataset.probability = String(probabilities[best] ?? 0);
    const percent = ((probabilities[best] ?? 0) * 100).toFixed(1);
    const notSure = verdict?.notSure ?? false;
    this.top.classList.toggle('not-sure', notSure);
    this.top.dataset.notSure = String(notSure);
    this.confidence.textContent = notSure
      ? `Not sure: this may not be a digit (best guess ${best}, ${percent}%)`
      : `${percent}% sure it is a ${best}`;
    return best;
  }

  reset(): void {
    for (let d = 0; d < 10; d++) {
      this.fills[d]!.style.width = '0';
      this.values[d]!.textContent = '';
      this.items[d]!.classList.remove('top');
      this.items[d]!.removeAttribute('aria-label');
    }
    this.top.textContent = '–';
    delete this.top.dataset.probability;
    delete this.top.dataset.notSure;
    this.top.classList.remove('not-sure');
    this.confidence.textContent = 'Draw a digit to see what the model reads.';
  }
}
