import type { FeatureVector } from '../../../../streams/messages/feature-vector.js';
import { el, fmt, panel, replaceChildren } from '../dom.js';

/**
 * The latest feature vector per symbol as one table: a row per feature, a column per symbol.
 * Redrawn at most every REDRAW_MS, since a replay can deliver hundreds of vectors a second.
 */
const REDRAW_MS = 250;

export class FeaturesPanel {
  readonly root: HTMLElement;
  private readonly latest = new Map<string, FeatureVector>();
  private readonly table = el('table', { class: 'features' });
  private readonly caption = el('p', { class: 'muted' }, 'waiting for feature vectors…');
  private timer: number | null = null;

  constructor() {
    this.root = panel('features', 'Latest features', this.caption, el('div', { class: 'scroll' }, this.table));
  }

  /** Forgets every symbol's vector (a new connection's snapshot replaces them); the next update redraws. */
  reset(): void {
    this.latest.clear();
  }

  /** Forgets every symbol's vector and shows none (a new connection's snapshot is empty). */
  clear(): void {
    this.reset();
    this.draw();
  }

  update(v: FeatureVector): void {
    this.latest.set(v.symbol, v);
    this.timer ??= window.setTimeout(() => {
      this.timer = null;
      this.draw();
    }, REDRAW_MS);
  }

  private draw(): void {
    const symbols = [...this.latest.keys()].sort();
    const vectors = symbols.map((s) => this.latest.get(s) as FeatureVector);
    const names = [...new Set(vectors.flatMap((v) => Object.keys(v.values)))].sort();
    this.caption.textContent = vectors.length === 0 ? 'waiting for feature vectors…' : `${names.length} features · ${vectors.map((v) => `${v.symbol} at ${fmt.time(v.ts)} UTC`).join(' · ')}`;
    replaceChildren(
      this.table,
      el('thead', {}, el('tr', {}, el('th', {}, 'feature'), ...symbols.map((s) => el('th', { class: 'num' }, s)))),
      el(
        'tbody',
        {},
        ...names.map((n) => el('tr', {}, el('td', {}, n), ...vectors.map((v) => el('td', { class: 'num' }, fmt.num(v.values[n]))))),
      ),
    );
    this.root.dataset['rows'] = String(names.length);
  }
}
