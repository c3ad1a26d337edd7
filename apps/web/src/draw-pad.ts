import type { RawImage } from '@digits/mnist-data';

/** Stroke width relative to the canvas side: a thick marker, like MNIST's pen after scaling. */
const STROKE_FRACTION = 0.075;

export interface Point {
  x: number;
  y: number;
}

/**
 * A square canvas to draw on with mouse, touch or pen (pointer events). Strokes are smoothed with
 * quadratic curves through the midpoints of successive samples, so fast strokes stay round.
 * Black ink on white: the shared preprocessing detects the polarity and inverts it.
 */
export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private activePointer: number | null = null;
  private last: Point | null = null;
  private lastMid: Point | null = null;
  private inked = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: (pad: DrawPad) => void,
  ) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('This browser cannot draw on a canvas.');
    this.ctx = ctx;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.start(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.end(e));
    canvas.addEventListener('pointercancel', (e) => this.end(e));
    canvas.addEventListener('keydown', (e) => {
      if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') {
        e.preventDefault();
        this.clear();
        this.onChange(this);
      }
    });
  }

  get hasInk(): boolean {
    return this.inked;
  }

  /**
   * Blank again, and any stroke in progress is over: later moves of that pointer draw nothing (a
   * Clear tapped while a fast stroke's last events are still arriving must not be undone by them).
   */
  clear(): void {
    this.ctx.fillStyle = '#ffffff';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
    if (this.activePointer !== null && this.canvas.hasPointerCapture?.(this.activePointer)) {
      this.canvas.releasePointerCapture(this.activePointer);
    }
    this.activePointer = null;
    this.last = null;
    this.lastMid = null;
  }

  /** Canvas pixels per side (strokes from the keyboard are given in these units). */
  get side(): number {
    return this.canvas.width;
  }

  /** Starts a stroke at p (canvas pixels) with a dot, as a pen touching down would. */
  penDown(p: Point): void {
    this.last = p;
    this.lastMid = p;
    this.ctx.fillStyle = '#000000';
    this.ctx.beginPath();
    this.ctx.arc(p.x, p.y, (this.canvas.width * STROKE_FRACTION) / 2, 0, Math.PI * 2);
    this.ctx.fill();
    this.inked = true;
    this.onChange(this);
  }

  /** Continues the stroke through the given points (smoothed), then reports the change. */
  penMove(points: Point[]): void {
    if (!this.last || !this.lastMid) return;
    const ctx = this.ctx;
    ctx.strokeStyle = '#000000';
    ctx.lineWidth = this.canvas.width * STROKE_FRACTION;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (const p of points) {
      const mid = { x: (this.last.x + p.x) / 2, y: (this.last.y + p.y) / 2 };
      ctx.beginPath();
      ctx.moveTo(this.lastMid.x, this.lastMid.y);
      ctx.quadraticCurveTo(this.last.x, this.last.y, mid.x, mid.y);
      ctx.stroke();
      this.last = p;
      this.lastMid = mid;
    }
    this.onChange(this);
  }

  /** Ends the stroke (draws its last half segment). */
  penUp(): void {
    if (this.last && this.lastMid) {
      this.ctx.beginPath();
      this.ctx.moveTo(this.lastMid.x, this.lastMid.y);
      this.ctx.lineTo(this.last.x, this.last.y);
      this.ctx.stroke();
    }
    this.last = null;
    this.lastMid = null;
    this.onChange(this);
  }

  /** Paints an image (an uploaded photo, say) onto the pad, letterboxed on white. */
  drawImage(source: CanvasImageSource, width: number, height: number): void {
    this.clear();
    const side = this.canvas.width;
    const scale = Math.min(side / width, side / height);
    const w = width * scale;
    const h = height * scale;
    this.ctx.drawImage(source, (side - w) / 2, (side - h) / 2, w, h);
    this.inked = true;
  }

  image(): RawImage {
    const { width, height } = this.canvas;
    const data = this.ctx.getImageData(0, 0, width, height).data;
    return { data, width, height, channels: 4 };
  }

  private toCanvas(e: PointerEvent): Point {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((e.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  private start(e: PointerEvent): void {
    if (this.activePointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.activePointer = e.pointerId;
    this.canvas.setPointerCapture?.(e.pointerId);
    this.penDown(this.toCanvas(e));
  }

  private move(e: PointerEvent): void {
    if (e.pointerId !== this.activePointer) return;
    e.preventDefault();
    const samples = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    this.penMove((samples.length > 0 ? samples : [e]).map((sample) => this.toCanvas(sample)));
  }

  private end(e: PointerEvent): void {
    if (e.pointerId !== this.activePointer) return;
    this.activePointer = null;
    this.penUp();
  }
}
