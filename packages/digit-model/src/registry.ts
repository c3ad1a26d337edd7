/** The hooks of one kind (trainers, predictors), newest first; each `add` returns its own removal. */
export class Registry<T> {
  private readonly items: T[] = [];

  /** Adds `item` in front; the returned function removes that addition (idempotent). */
  add(item: T): () => void {
    this.items.unshift(item);
    let added = true;
    return () => {
      if (!added) return;
      added = false;
      const i = this.items.indexOf(item);
      if (i >= 0) this.items.splice(i, 1);
    };
  }

  /** Newest first. */
  get all(): readonly T[] {
    return this.items;
  }
}
