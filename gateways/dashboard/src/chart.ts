import { CandlestickSeries, createChart, createSeriesMarkers } from 'lightweight-charts';
import type { CandlestickData, IChartApi, ISeriesApi, ISeriesMarkersPluginApi, SeriesMarker, Time, UTCTimestamp } from 'lightweight-charts';
import type { Bar, Timeframe } from '../../../streams/messages/bar.js';
import type { Fill } from '../../../streams/messages/fill.js';
import type { Order } from '../../../streams/messages/order.js';
import type { Prediction } from '../../../streams/messages/prediction.js';
import { placeCandle, TimeframeChoice, timeframeLabel } from './chart-timeframe.js';
import type { Candle } from './chart-timeframe.js';
import { el, fmt } from './dom.js';
import { predictedClass } from './prediction-class.js';
import { priceFormatFor } from './price-format.js';
import { quoteOf, withUnit } from './units.js';

/** Most candles, and markers of each kind, a chart keeps: a dashboard shows the recent past, not the whole history. */
const MAX_CANDLES = 2_000;
const MAX_MARKERS_PER_KIND = 300;
const FLUSH_MS = 100;
/** Empty bars kept right of the newest candle. */
const RIGHT_OFFSET_BARS = 4;

const COLORS = {
  up: '#16a34a',
  down: '#dc2626',
  buy: '#2563eb',
  sell: '#ea580c',
  fill: '#7c3aed',
} as const;

type MarkerKind = 'prediction' | 'order' | 'fill';
/** A marker before it is placed on a candle (bar and price markers keep their own fields). */
type MarkerBody = SeriesMarker<Time> extends infer M ? (M extends unknown ? Omit<M, 'time'> : never) : never;
type Tagged = Readonly<{ kind: MarkerKind; id: string; t: number; marker: MarkerBody }>;

const toTime = (ms: number): UTCTimestamp => Math.floor(ms / 1000) as UTCTimestamp;
const toData = (c: Candle): CandlestickData<Time> => ({ ...c, time: c.time as UTCTimestamp });

/**
 * A live candlestick chart for one symbol on one venue (`asset-key.ts`: one symbol on two venues is
 * two charts, the venue named beside the symbol), built from the `md` bars of one timeframe (the
 * strategy's once the feed says it and has sent one, else the finest seen: `chart-timeframe.ts`;
 * bars of the others are kept, so a switch redraws at once), labelled beside the symbol, with
 * predictions (arrows by class), approved orders (circles by side) and fills (squares at the fill
 * price) as markers. The container carries `data-tf`, `data-candles` and `data-markers` so that tests and
 * operators' tooling can read what is drawn, and `data-right-gap`: the empty bars right of the
 * newest candle (RIGHT_OFFSET_BARS while following; fewer, or negative, while it is out of view).
 */
export class SymbolChart {
  readonly root: HTMLElement;
  private readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Candlestick'>;
  private readonly markersApi: ISeriesMarkersPluginApi<Time>;
  private readonly host: HTMLElement;
  private readonly lastPrice: HTMLElement;
  private readonly tfLabel: HTMLElement;
  /** Said while the engine's actors (this connection's) name no asset actor of this symbol. */
  private readonly goneNote: HTMLElement;
  /** The quote currency its prices are in (null: the symbol does not say). */
  private readonly unit: string | null;
  /** The bars seen of each timeframe, oldest first; the drawn one is `candles`. */
  private readonly byTf = new Map<Timeframe, Candle[]>();
  private candles: Candle[] = [];
  private readonly choice = new TimeframeChoice();
  private markers: Tagged[] = [];
  private readonly markerIds = new Set<string>();
  private readonly counts: Record<MarkerKind, number> = { prediction: 0, order: 0, fill: 0 };
  private precision: number | null = null;
  private flushTimer: number | null = null;
  /** Keeps the newest candle in view until the operator scrolls or drags the chart; a double click resumes. */
  private following = true;
  private followTimer: number | null = null;
  private readonly resized: ResizeObserver;

  constructor(
    readonly venue: string,
    readonly symbol: string,
  ) {
    this.unit = quoteOf(symbol);
    this.host = el('div', { class: 'chart-host' });
    this.lastPrice = el('span', { class: 'last-price' }, '–');
    this.tfLabel = el('span', { class: 'chart-tf' });
    this.goneNote = el('span', { class: 'chart-gone-note', title: "the engine's actors on this connection name no asset actor of this symbol: it is no longer traded (a restart with other symbols); the chart keeps what it drew" });
    this.root = el(
      'article',
      { class: 'chart-card', 'data-venue': venue, 'data-symbol': symbol, 'data-unit': this.unit ?? '', 'data-traded': 'true', 'data-tf': '', 'data-right-gap': 0, 'data-candles': 0, 'data-markers': 0, 'data-predictions': 0, 'data-orders': 0, 'data-fills': 0 },
      el('header', {}, el('div', { class: 'chart-title' }, el('h3', {}, symbol), el('span', { class: 'chart-venue', title: 'venue' }, venue), this.tfLabel, this.goneNote), this.lastPrice),
      // The price scale's unit, over the top of the scale (the chart library has no axis title).
      el('div', { class: 'chart-frame' }, this.host, el('span', { class: 'price-unit', title: `prices in ${this.unit ?? 'the quote currency'}` }, this.unit ?? '')),
      el(
        'p',
        { class: 'legend' },
        el('span', { class: 'key key-up' }, '▲'),
        ' up / ',
        el('span', { class: 'key key-down' }, '▼'),
        ' down prediction (small: no trade intent) · ',
        el('span', { class: 'key key-buy' }, '●'),
        ' buy / ',
        el('span', { class: 'key key-sell' }, '●'),
        ' sell order · ',
        el('span', { class: 'key key-fill' }, '■'),
        ' fill at its price',
      ),
    );
    this.chart = createChart(this.host, {
      autoSize: true,
      layout: { background: { color: '#ffffff' }, textColor: '#334155', fontSize: 11 },
      grid: { vertLines: { color: '#f1f5f9' }, horzLines: { color: '#f1f5f9' } },
      // A few empty bars right of the newest: its time label (centred on it) and its markers are not cut by the price scale ('23:0').
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: RIGHT_OFFSET_BARS },
      rightPriceScale: { borderColor: '#e2e8f0' },
    });
    this.series = this.chart.addSeries(CandlestickSeries, { upColor: COLORS.up, downColor: COLORS.down, wickUpColor: COLORS.up, wickDownColor: COLORS.down, borderVisible: false });
    this.markersApi = createSeriesMarkers(this.series, []);
    const stopFollowing = (): void => {
      this.following = false;
    };
    this.host.addEventListener('wheel', stopFollowing, { passive: true });
    this.host.addEventListener('pointerdown', stopFollowing);
    // The chart's box changes as charts are added beside it (a snapshot's burst of bars, three symbols):
    // while following, the newest candle is brought back in view with its gap.
    this.resized = new ResizeObserver(() => {
      if (this.following) this.scheduleFollow();
    });
    this.resized.observe(this.host);
    // Applied on the chart's next frame: read back once it is.
    this.chart.timeScale().subscribeVisibleLogicalRangeChange(() => {
      this.root.dataset['rightGap'] = String(Math.round(this.chart.timeScale().scrollPosition()));
    });
    this.host.addEventListener('dblclick', () => {
      this.following = true;
      this.chart.timeScale().scrollToRealTime();
    });
  }

  /**
   * Adds or replaces a bar. Bars of a timeframe not drawn are kept; one that becomes the timeframe
   * drawn (the strategy's, or a finer one) redraws the chart from its bars.
   */
  bar(b: Bar): void {
    let list = this.byTf.get(b.tf);
    if (list === undefined) {
      list = [];
      this.byTf.set(b.tf, list);
    }
    const full = list.length >= MAX_CANDLES;
    const how = placeCandle(list, { time: toTime(b.ts), open: b.open, high: b.high, low: b.low, close: b.close }, MAX_CANDLES);
    if (this.choice.bar(b.tf)) return this.redraw();
    if (b.tf !== this.choice.drawn || how === 'same') return;
    this.format(b.close);
    // An older bar put in place (a snapshot after reconnecting, a late delta), or the oldest let go: redraw.
    if (how === 'inserted' || (how === 'appended' && full)) this.series.setData(list.map(toData));
    else this.series.update(toData(list[list.length - 1] as Candle));
    this.drawn();
  }

  /**
   * The strategy's timeframe, as the feed says it (the decision actor's status; null: not said):
   * drawn once a bar of it is seen, instead of the finest.
   */
  prefer(tf: Timeframe | null): void {
    if (this.choice.prefer(tf)) this.redraw();
  }

  /** The timeframe drawn changed: its bars replace the chart's. */
  private redraw(): void {
    const tf = this.choice.drawn;
    this.candles = tf === null ? [] : (this.byTf.get(tf) ?? []);
    const last = this.candles.at(-1);
    if (last !== undefined) this.format(last.close);
    this.series.setData(this.candles.map(toData));
    const label = timeframeLabel(tf, this.choice.reason);
    this.tfLabel.textContent = label.text;
    this.tfLabel.title = label.title;
    this.root.dataset['tf'] = tf ?? '';
    this.drawn();
  }

  private format(close: number): void {
    const format = priceFormatFor(close);
    if (format.precision !== this.precision) {
      this.precision = format.precision;
      this.series.applyOptions({ priceFormat: format });
    }
  }

  /** After the drawn candles changed: the header price is the newest close, the chart follows it. */
  private drawn(): void {
    const last = this.candles.at(-1);
    if (last !== undefined) this.price(last.close);
    this.root.dataset['candles'] = String(this.candles.length);
    if (this.following) this.scheduleFollow();
    if (this.markers.length > 0) this.scheduleFlush();
  }

  price(p: number): void {
    this.lastPrice.textContent = withUnit(fmt.num(p), this.unit);
  }

  /**
   * Whether the engine still trades the symbol on this venue, as the actors the feed lists say (`traded-symbols.ts`):
   * a chart of one it no longer trades is marked (dimmed, a note beside the symbol), not removed:
   * what it drew stays readable; it is unmarked if the symbol comes back.
   */
  traded(yes: boolean): void {
    if ((this.root.dataset['traded'] === 'true') === yes) return;
    this.root.dataset['traded'] = String(yes);
    this.root.classList.toggle('chart-gone', !yes);
    this.goneNote.textContent = yes ? '' : 'not traded now';
  }

  prediction(p: Prediction): void {
    const cls = predictedClass(p);
    if (cls === 'flat') return;
    // Arrows without labels: one per bar would bury the candles; the predictions table has the numbers.
    this.addMarker('prediction', p.id, p.ts, {
      position: cls === 'up' ? 'belowBar' : 'aboveBar',
      shape: cls === 'up' ? 'arrowUp' : 'arrowDown',
      color: COLORS[cls],
      size: p.intent === null ? 0.6 : 1,
    });
  }

  order(o: Order): void {
    this.addMarker('order', o.id, o.ts, {
      position: o.side === 'buy' ? 'belowBar' : 'aboveBar',
      shape: 'circle',
      color: COLORS[o.side],
      size: 0.8,
    });
  }

  fill(f: Fill): void {
    this.addMarker('fill', f.id, f.ts, { position: 'atPriceMiddle', price: f.price, shape: 'square', color: COLORS.fill, size: 0.6 });
  }

  dispose(): void {
    if (this.flushTimer !== null) window.clearTimeout(this.flushTimer);
    if (this.followTimer !== null) window.clearTimeout(this.followTimer);
    this.resized.disconnect();
    this.chart.remove();
  }

  /** The candle at or before `t` (markers sit on it); `t` itself before the first candle. */
  private snap(t: number): Time {
    let lo = 0;
    let hi = this.candles.length - 1;
    let found: number | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.candles[mid] as Candle;
      if (c.time <= t) {
        found = c.time;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return (found ?? t) as UTCTimestamp;
  }

  private addMarker(kind: MarkerKind, id: string, ms: number, marker: MarkerBody): void {
    if (this.markerIds.has(id)) return;
    this.markerIds.add(id);
    this.markers.push({ kind, id, t: toTime(ms), marker });
    this.counts[kind]++;
    // Per kind, so that a busy order flow does not crowd the predictions out.
    if (this.counts[kind] > MAX_MARKERS_PER_KIND) {
      const oldest = this.markers.findIndex((m) => m.kind === kind);
      const [gone] = this.markers.splice(oldest, 1);
      if (gone !== undefined) this.markerIds.delete(gone.id);
      this.counts[kind]--;
    }
    this.scheduleFlush();
  }

  // The chart shifts by itself only while its last bar is visible, which a chart created before
  // it had a size (or fed a burst of bars, or resized) may not be: scroll explicitly, at most every
  // FLUSH_MS, without animation (an animated scroll still running when the box resized again left the
  // newest candles out of view).
  private scheduleFollow(): void {
    this.followTimer ??= window.setTimeout(() => {
      this.followTimer = null;
      if (this.following) this.chart.timeScale().scrollToPosition(RIGHT_OFFSET_BARS, false);
    }, FLUSH_MS);
  }

  /** Redrawing markers sorts them all: done at most every FLUSH_MS, not per message. */
  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = window.setTimeout(() => {
      this.flushTimer = null;
      this.flushMarkers();
    }, FLUSH_MS);
  }

  private flushMarkers(): void {
    const first = this.candles[0]?.time;
    const counts = this.counts;
    this.root.dataset['predictions'] = String(counts.prediction);
    this.root.dataset['orders'] = String(counts.order);
    this.root.dataset['fills'] = String(counts.fill);
    // Markers must be sorted by time; those before the first candle have nowhere to sit yet.
    if (first === undefined) return;
    const drawable = this.markers.filter((m) => m.t >= first).map((m) => ({ ...m.marker, time: this.snap(m.t) }) as SeriesMarker<Time>);
    drawable.sort((a, b) => (a.time as number) - (b.time as number));
    this.markersApi.setMarkers(drawable);
    this.root.dataset['markers'] = String(drawable.length);
  }
}
