import type { FeatureVector } from '../../../../streams/messages/feature-vector.js';
import { assetKey, compareAssets } from '../asset-key.js';
import { el, fmt, panel, replaceChildren } from '../dom.js';

/**
 * The latest feature vector per symbol and venue as one table: a row per feature, a column per
 * symbol (one symbol on two venues is two columns, each headed with its venue; the venue is said
 * only when the vectors come from more than one). Redrawn at most every REDRAW_MS, since a replay
 * can deliver hundreds of vectors a second.
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

  /** Forgets every vector (a new connection's snapshot replaces them); the next update redraws. */
  reset(): void {
    this.latest.clear();
  }

  /** Forgets every vector and shows none (a new connection's snapshot is empty). */
  clear(): void {
    this.reset();
    this.draw();
  }

  update(v: FeatureVector): void {
    this.latest.set(assetKey(v.venue, v.symbol), v);
    this.timer ??= window.setTimeout(() => {
      this.timer = null;
      this.draw();
    }, REDRAW_MS);
  }

  private draw(): void {
    const vectors = [...this.latest.values()].sort(compareAssets);
    const venues = new Set(vectors.map((v) => v.venue)).size;
    const label = (v: FeatureVector): string => (venues > 1 ? `${v.symbol} ${v.venue}` : v.symbol);
    const names = [...new Set(vectors.flatMap((v) => Object.keys(v.values)))].sort();
    this.caption.textContent = vectors.length === 0 ? 'waiting for feature vectors…' : `${names.length} features · ${vectors.map((v) => `${label(v)} at ${fmt.time(v.ts)} UTC`).join(' · ')}`;
    replaceChildren(
      this.table,
      el('thead', {}, el('tr', {}, el('th', {}, 'feature'), ...vectors.map((v) => el('th', { class: 'num' }, label(v))))),
      el(
        'tbody',
        {},
        ...names.map((n) => el('tr', {}, el('td', {}, n), ...vectors.map((v) => el('td', { class: 'num' }, fmt.num(v.values[n]))))),
      ),
    );
    this.root.dataset['rows'] = String(names.length);
  }
}
