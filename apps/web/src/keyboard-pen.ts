import type { DrawPad, Point } from './draw-pad';

/** One arrow-key step, as a fraction of the pad's side (Shift: three steps). */
const STEP = 1 / 20;

const MOVES: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/**
 * Drawing without a pointer: on the focused pad, the arrow keys move a pen (a ring shows where),
 * Space or Enter puts it down and lifts it again; while it is down, moves draw. The pad's own
 * Delete/Escape still clear it.
 */
export class KeyboardPen {
  private at: Point;
  private down = false;
  private readonly cursor: HTMLElement;

  constructor(
    private readonly pad: DrawPad,
    canvas: HTMLCanvasElement,
    private readonly status: HTMLElement,
  ) {
    this.at = { x: pad.side / 2, y: pad.side / 2 };
    this.cursor = document.createElement('span');
    this.cursor.className = 'pen-cursor';
    this.cursor.setAttribute('aria-hidden', 'true');
    this.cursor.hidden = true;
    canvas.insertAdjacentElement('afterend', this.cursor);
    canvas.addEventListener('keydown', (e) => this.onKey(e));
    canvas.addEventListener('focus', () => this.show());
    canvas.addEventListener('blur', () => {
      this.lift();
      this.cursor.hidden = true;
    });
    canvas.addEventListener('pointerdown', () => (this.cursor.hidden = true));
  }

  /** Lifts the pen (after Clear, say) without drawing. */
  lift(): void {
    if (this.down) this.pad.penUp();
    this.down = false;
    this.show();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') {
      this.down = false;
      this.show();
      return;
    }
    if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      if (this.down) this.lift();
      else {
        this.down = true;
        this.pad.penDown({ ...this.at });
        this.show();
      }
      return;
    }
    const move = MOVES[e.key];
    if (!move) return;
    e.preventDefault();
    const step = this.pad.side * STEP * (e.shiftKey ? 3 : 1);
    const clamp = (v: number) => Math.min(this.pad.side, Math.max(0, v));
    this.at = { x: clamp(this.at.x + move[0] * step), y: clamp(this.at.y + move[1] * step) };
    if (this.down) this.pad.penMove([{ ...this.at }]);
    this.show();
  }

  private show(): void {
    this.cursor.hidden = false;
    this.cursor.style.left = `${(this.at.x / this.pad.side) * 100}%`;
    this.cursor.style.top = `${(this.at.y / this.pad.side) * 100}%`;
    this.cursor.classList.toggle('down', this.down);
    this.status.textContent = this.down ? 'Pen down: arrow keys draw. Space or Enter lifts it.' : 'Pen up: arrow keys move it. Space or Enter puts it down.';
  }
}
