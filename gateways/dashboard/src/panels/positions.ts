import type { Pnl } from '../topics.js';
import { el, panel, tableOf } from '../dom.js';
import { pnlItems, positionRows } from '../pnl-view.js';

/**
 * Realised / unrealised PnL, equity, today's PnL and drawdown against their limits, and open
 * positions (by venue: one symbol on two venues is two rows; with the mark price and unrealised
 * PnL) of each account the feed reports, in their currency where the feed names it (`pnl-view.ts`).
 */
export class PositionsPanel {
  readonly root: HTMLElement;
  private readonly summary = el('dl', { class: 'pnl' });
  private readonly positions = tableOf(['account', 'symbol', 'venue', 'qty', 'avg price', 'mark', 'unrealised'], 'positions');
  private readonly accounts = new Map<string, Pnl>();

  constructor() {
    this.root = panel('positions', 'Positions and PnL', this.summary, this.positions.table);
  }

  /** Forgets every account (a new connection's snapshot replaces them); the next update redraws. */
  reset(): void {
    this.accounts.clear();
  }

  /** Forgets every account and shows none, as before the first (a new connection's snapshot is empty). */
  clear(): void {
    this.reset();
    this.summary.replaceChildren();
    this.positions.body.replaceChildren();
  }

  update(p: Pnl): void {
    this.accounts.set(p.account, p);
    const all = [...this.accounts.values()];
    this.summary.replaceChildren(...pnlItems(all).flatMap((i) => [el('dt', {}, i.label), el('dd', { id: i.id, class: i.tone, 'data-breached': i.breached ? 'true' : undefined }, i.text)]));
    // Avg price, mark and unrealised carry a unit: it goes under the number where the panel is narrow.
    const rows = positionRows(all).map((cells) => el('tr', {}, ...cells.map((c, i) => el('td', i >= 4 ? { class: 'num wrap' } : i === 3 ? { class: 'num' } : {}, c))));
    this.positions.body.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'flat'))]));
  }
}
