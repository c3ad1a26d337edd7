import { imageAt, subset, type Split } from '@digits/mnist-data';
import { paintPixels } from './pixels';
import type { Predictor } from './predictor';

const GRID_SIZE = 24;

/**
 * A grid of random MNIST test digits with the active model's predictions; wrong ones marked. Each
 * digit is a button: clicking it (or Enter / Space) hands the digit to `onPick` (the page sends it
 * to the pad and predicts it).
 */
export class TestGrid {
  private indices: number[] = [];

  constructor(
    private readonly list: HTMLUListElement,
    private readonly summary: HTMLElement,
    private readonly predictor: Predictor,
    private readonly test: Split,
    private readonly onPick?: (pick: { index: number; label: number; image: Uint8Array }) => void,
  ) {}

  shuffle(): void {
    const picked = new Set<number>();
    while (picked.size < Math.min(GRID_SIZE, this.test.count)) picked.add(Math.floor(Math.random() * this.test.count));
    this.indices = [...picked];
    this.render();
  }

  render(): void {
    const chosen = subset(this.test, this.indices);
    const predicted = this.predictor.classify(chosen.images);
    let right = 0;
    const items = this.indices.map((index, i) => {
      const label = chosen.labels[i]!;
      const guess = predicted[i]!;
      const ok = label === guess;
      if (ok) right++;
      const item = document.createElement('li');
      item.className = ok ? 'right' : 'wrong';
      item.dataset.label = String(label);
      item.dataset.predicted = String(guess);
      const canvas = document.createElement('canvas');
      paintPixels(canvas, imageAt(this.test, index));
      canvas.setAttribute('aria-hidden', 'true');
      const caption = document.createElement('span');
      caption.textContent = ok ? `${guess}` : `${guess} ✗ (is ${label})`;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'grid-digit';
      button.setAttribute('aria-label', `Test image ${index}: label ${label}, predicted ${guess}${ok ? '' : ', wrong'}. Send to the pad`);
      button.append(canvas, caption);
      button.addEventListener('click', () => this.onPick?.({ index, label, image: imageAt(this.test, index) }));
      item.append(button);
      return item;
    });
    this.list.replaceChildren(...items);
    this.summary.textContent = `${right} of ${items.length} right (test images, label shown when wrong)`;
  }
}
