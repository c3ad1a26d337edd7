const SVG = 'http://www.w3.org/2000/svg';

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

/**
 * A minimal SVG line chart: a few series, linear axes fitted to the data (or a fixed y range),
 * redrawn in full on every update (a few thousand points at most).
 */
export class LineChart {
  constructor(
    private readonly svg: SVGSVGElement,
    private readonly options: { yMin?: number; yMax?: number; xLabel: string },
  ) {
    svg.setAttribute('viewBox', '0 0 400 180');
    svg.setAttribute('preserveAspectRatio', 'none');
  }

  render(series: Series[]): void {
    const svg = this.svg;
    svg.replaceChildren();
    const all = series.flatMap((s) => s.points);
    const left = 36;
    const right = 392;
    const top = 8;
    const bottom = 160;
    const xMax = Math.max(1, ...all.map((p) => p.x));
    const yMin = this.options.yMin ?? Math.min(0, ...all.map((p) => p.y));
    const yMax = this.options.yMax ?? Math.max(1e-6, ...all.map((p) => p.y));
    const sx = (x: number) => left + (x / xMax) * (right - left);
    const sy = (y: number) => bottom - ((y - yMin) / (yMax - yMin || 1)) * (bottom - top);

    const axis = document.createElementNS(SVG, 'path');
    axis.setAttribute('d', `M${left},${top} V${bottom} H${right}`);
    axis.setAttribute('stroke', '#4b5563');
    axis.setAttribute('fill', 'none');
    svg.append(axis);
    for (const [y, anchor] of [
      [yMax, top + 8],
      [yMin, bottom],
    ] as const) {
      svg.append(text(2, anchor, y.toFixed(2)));
    }
    svg.append(text(right - 60, 176, `${this.options.xLabel} ${xMax.toFixed(0)}`));

    series.forEach((s, index) => {
      if (s.points.length === 0) return;
      const line = document.createElementNS(SVG, 'polyline');
      line.setAttribute('points', s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' '));
      line.setAttribute('fill', 'none');
      line.setAttribute('stroke', s.color);
      line.setAttribute('stroke-width', '2');
      line.setAttribute('vector-effect', 'non-scaling-stroke');
      line.dataset.series = s.name;
      line.dataset.count = String(s.points.length);
      svg.append(line);
      const legend = text(left + 8 + index * 110, top + 12, s.name);
      legend.setAttribute('fill', s.color);
      svg.append(legend);
    });
  }
}

function text(x: number, y: number, content: string): SVGTextElement {
  const t = document.createElementNS(SVG, 'text');
  t.setAttribute('x', String(x));
  t.setAttribute('y', String(y));
  t.setAttribute('font-size', '11');
  t.setAttribute('fill', '#374151');
  t.textContent = content;
  return t;
}
