/** One line of a chart: a name, a colour and points in ascending `x`. */
export type ChartSeries = Readonly<{ name: string; color: string; points: readonly (readonly [number, number])[] }>;
/** A moment to mark on a chart (a dashed vertical line with its label), e.g. when trading was halted. */
export type ChartMarker = Readonly<{ x: number; label: string; color: string }>;
/**
 * The y axis where the data alone does not say it: `yMax` pins its top (a drawdown chart: 0, as a
 * drawdown is never above it), `minSpan` is the least range it shows (a flat line at the pinned
 * top spans down from it, not up past it).
 */
export type ChartAxis = Readonly<{ yMax?: number; minSpan?: number }>;

const W = 960;
const H = 280;
const PAD = { l: 70, r: 16, t: 16, b: 28 };

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** At most `max` points per series (every k-th, plus the last), so a year of minutes stays light. */
function thin(points: readonly (readonly [number, number])[], max: number): (readonly [number, number])[] {
  if (points.length <= max) return [...points];
  const k = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % k === 0);
  const last = points[points.length - 1];
  if (last !== undefined && out[out.length - 1] !== last) out.push(last);
  return out;
}

/**
 * A line chart as inline SVG (no script, no external file): axes with min/max labels, one
 * polyline per series, a legend, and the markers inside the x range. `xLabel` formats an x value
 * (event time) for the axis; `axis` pins the y axis's top and least span where given.
 */
export function svgLineChart(title: string, series: readonly ChartSeries[], xLabel: (x: number) => string, yLabel: (y: number) => string, markers: readonly ChartMarker[] = [], axis: ChartAxis = {}): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p>no data</p></figure>`;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const [x, y] of all) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  if (x1 === x0) x1 = x0 + 1;
  if (axis.yMax !== undefined) {
    y1 = axis.yMax;
    y0 = Math.min(y0, y1);
  }
  if (axis.minSpan !== undefined && y1 - y0 < axis.minSpan) {
    if (axis.yMax !== undefined) y0 = y1 - axis.minSpan;
    else y1 = y0 + axis.minSpan;
  }
  if (y1 === y0) y1 = y0 + 1;
  const sx = (x: number): number => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const sy = (y: number): number => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const lines = series
    .map((s) => {
      const pts = thin(s.points, 2000)
        .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
        .join(' ');
      return `<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${esc(s.color)}" stroke-width="1.5" points="${pts}"/>`;
    })
    .join('\n');
  const marks = markers
    .filter((m) => m.x >= x0 && m.x <= x1)
    .map((m) => {
      const x = sx(m.x).toFixed(1);
      return `<g class="marker" data-marker="${esc(m.label)}"><line x1="${x}" x2="${x}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="${esc(m.color)}" stroke-dasharray="4 3"/><text x="${x}" y="${H - PAD.b - 4}" dx="3" fill="${esc(m.color)}">${esc(m.label)}</text></g>`;
    })
    .join('\n');
  const legend = series.map((s, i) => `<text x="${PAD.l + 10 + i * 170}" y="${PAD.t + 12}" fill="${esc(s.color)}">■ ${esc(s.name)}</text>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption>
<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">
<rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" fill="#fafafa" stroke="#ccc"/>
<text x="${PAD.l - 6}" y="${sy(y1) + 4}" text-anchor="end">${esc(yLabel(y1))}</text>
<text x="${PAD.l - 6}" y="${sy(y0)}" text-anchor="end">${esc(yLabel(y0))}</text>
<text x="${PAD.l}" y="${H - 8}">${esc(xLabel(x0))}</text>
<text x="${W - PAD.r}" y="${H - 8}" text-anchor="end">${esc(xLabel(x1))}</text>
${lines}
${marks}
${legend}
</svg></figure>`;
}

export { esc as escapeHtml };
