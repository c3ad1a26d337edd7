import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Vega-Lite spec -> SVG (vega's headless View, no canvas) -> PNG (resvg) on a white background. */
export async function renderPng(spec: TopLevelSpec): Promise<Buffer> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render().asPng();
  } finally {
    view.finalize();
  }
}
