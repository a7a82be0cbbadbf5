import { feedRow, feedsBanner } from '../feed-view.js';
import type { FeedStatus } from '../topics.js';
import { el, panel, tableOf } from '../dom.js';

const NONE = 'no feed statuses: the engine has heard none from sextant gateway (sx.mdstatus.…)';

/**
 * Every market-data feed of `sextant gateway` the engine has heard of (the `feeds` topic), by
 * venue, symbol and stream: its state, coloured when not live (`unknown` once the gateway has been
 * silent for 3 status intervals), the age of its last status and why it is not live.
 */
export class FeedsPanel {
  readonly root: HTMLElement;
  private readonly table = tableOf(['venue', 'symbol', 'stream', 'state', 'age', 'reason'], 'feeds');
  private readonly caption = el('p', { class: 'muted' }, NONE);
  private readonly feeds = new Map<string, FeedStatus>();
  /** In the sticky header: how many feeds are not live, and the first few (`feedsBanner`). */
  readonly banner = el('span', { class: 'feeds-banner', id: 'feeds-banner', role: 'alert', hidden: true });

  constructor() {
    this.root = panel('feeds', 'Market-data feeds', this.caption, this.table.table);
  }

  /** Forgets every feed (a new connection's snapshot replaces them); the next update redraws. */
  reset(): void {
    this.feeds.clear();
  }

  /** Forgets every feed and shows none (a new connection's snapshot is empty). */
  clear(): void {
    this.reset();
    this.draw();
  }

  /** A feed's status; `gone` (the engine forgot it: its gateway runs it no more) removes its row. */
  update(f: FeedStatus): void {
    const key = feedRow(f).key;
    if (f.state === 'gone') this.feeds.delete(key);
    else this.feeds.set(key, f);
    this.draw();
  }

  private draw(): void {
    const rows = [...this.feeds.values()].map(feedRow).sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol) || a.stream.localeCompare(b.stream));
    this.caption.hidden = rows.length > 0;
    this.root.dataset['down'] = String(rows.filter((r) => !r.live).length);
    const banner = feedsBanner(this.feeds.values());
    this.banner.hidden = banner === null;
    this.banner.textContent = banner ?? '';
    this.table.body.replaceChildren(
      ...rows.map((r) =>
        el(
          'tr',
          { 'data-feed': r.key, 'data-state': r.state },
          el('td', {}, r.venue),
          el('td', {}, r.symbol),
          el('td', {}, r.stream),
          el('td', {}, el('span', { class: 'feed-state', 'data-state': r.state }, r.state)),
          el('td', { class: 'num' }, r.age),
          el('td', { class: 'feed-reason prose' }, r.reason),
        ),
      ),
    );
  }
}
