import type { ActiveModel, BuiltInModel } from './model-source';

/**
 * Radio buttons for the built-in models (the CNN that reads drawings best, the tutorial MLP): one
 * click or arrow key switches; the checked one follows the active model (none when a dropped,
 * loaded or trained model is active).
 */
export class ModelPicker {
  private readonly radios: HTMLInputElement[];

  constructor(fieldset: HTMLFieldSetElement, choose: (id: BuiltInModel['id']) => void) {
    this.radios = [...fieldset.querySelectorAll<HTMLInputElement>('input[type="radio"]')];
    for (const radio of this.radios) radio.addEventListener('change', () => radio.checked && choose(radio.value as BuiltInModel['id']));
  }

  show(active: ActiveModel): void {
    for (const radio of this.radios) radio.checked = radio.value === active.builtIn;
  }
}
