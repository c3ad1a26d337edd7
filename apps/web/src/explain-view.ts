import type * as tf from '@tensorflow/tfjs';
import { featureMaps, saliency, topHiddenUnits } from '@digits/model';
import { paintGrey, paintSigned } from './heat-map';

/**
 * "What drove the prediction", in a <details>: saliency (gradient x input) over the 28x28 input,
 * and the MLP's most active hidden units' weight images or a convnet's first feature maps.
 * Computed only while open, for every prediction (live while drawing).
 */
export class ExplainView {
  /** How many times the view was drawn (the tests watch it). */
  updates = 0;
  private last: { model: tf.LayersModel; pixels: Float32Array } | null = null;
  /** Saliency needs tfjs's gradients, which the app loads on demand (src/tfjs.ts): on first open. */
  private gradients: Promise<void> | null = null;
  private ready = false;

  constructor(
    private readonly details: HTMLDetailsElement,
    private readonly saliencyCanvas: HTMLCanvasElement,
    private readonly caption: HTMLElement,
    private readonly units: HTMLOListElement,
  ) {
    details.addEventListener('toggle', () => {
      if (!details.open) return;
      this.gradients ??= import('@tensorflow/tfjs-core/dist/register_all_gradients').then(() => {
        this.ready = true;
      });
      void this.gradients.then(() => this.last && this.details.open && this.render(this.last.model, this.last.pixels));
    });
  }

  update(model: tf.LayersModel, pixels: Float32Array): void {
    this.last = { model, pixels };
    if (this.details.open && this.ready) this.render(model, pixels);
  }

  clear(): void {
    this.last = null;
    this.units.replaceChildren();
    paintSigned(this.saliencyCanvas, new Float32Array(784));
    this.caption.textContent = 'Draw a digit to see which pixels drove the prediction.';
  }

  private render(model: tf.LayersModel, pixels: Float32Array): void {
    const { values, digit } = saliency(model, pixels);
    paintSigned(this.saliencyCanvas, values, pixels);
    this.saliencyCanvas.dataset.digit = String(digit);
    const isConvnet = model.layers.some((l) => l.getClassName() === 'Conv2D');
    const items: HTMLLIElement[] = [];
    if (isConvnet) {
      const maps = featureMaps(model, pixels, 8);
      this.caption.textContent = `Red pixels pushed towards ${digit}, blue away. Right: the 8 strongest feature maps of ${maps.layer}.`;
      for (const map of maps.maps) items.push(item((c) => paintGrey(c, map.values, maps.width, maps.height), `channel ${map.channel}`));
    } else {
      const hidden = topHiddenUnits(model, pixels, 8);
      this.caption.textContent = `Red pixels pushed towards ${digit}, blue away. Right: the 8 most active units of ${hidden.layer} and the weights they look for.`;
      for (const unit of hidden.units) items.push(item((c) => paintSigned(c, unit.weights), `unit ${unit.unit}: ${unit.activation.toFixed(2)}`));
    }
    this.units.replaceChildren(...items);
    this.units.dataset.kind = isConvnet ? 'feature-maps' : 'hidden-units';
    this.updates++;
  }
}

function item(paint: (canvas: HTMLCanvasElement) => void, label: string): HTMLLIElement {
  const li = document.createElement('li');
  const canvas = document.createElement('canvas');
  paint(canvas);
  canvas.setAttribute('aria-hidden', 'true');
  const caption = document.createElement('span');
  caption.textContent = label;
  li.append(canvas, caption);
  return li;
}
