import type { Pnl } from '../topics.js';
import { el, fmt, panel, tableOf } from '../dom.js';

/**
 * Realised / unrealised PnL, equity and open positions (by venue: one symbol on two venues is two
 * rows) of each account the feed reports.
 */
export class PositionsPanel {
  readonly root: HTMLElement;
  private readonly summary = el('dl', { class: 'pnl' });
  private readonly positions = tableOf(['account', 'symbol', 'venue', 'qty', 'avg price'], 'positions');
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
    const all = [...this.accounts.values()].sort((a, b) => a.account.localeCompare(b.account));
    const sum = (f: (x: Pnl) => number): number => all.reduce((s, x) => s + f(x), 0);
    const item = (label: string, value: number, id: string): HTMLElement[] => [el('dt', {}, label), el('dd', { id, class: fmt.tone(value) }, fmt.money(value))];
    this.summary.replaceChildren(...item('Realised', sum((x) => x.realised), 'pnl-realised'), ...item('Unrealised', sum((x) => x.unrealised), 'pnl-unrealised'), ...item('Equity', sum((x) => x.equity), 'pnl-equity'));
    const rows = all.flatMap((a) => a.positions.filter((q) => q.qty !== 0).map((q) => el('tr', {}, el('td', {}, a.account), el('td', {}, q.symbol), el('td', {}, q.venue ?? ''), el('td', { class: 'num' }, fmt.num(q.qty)), el('td', { class: 'num' }, fmt.num(q.avgPrice)))));
    this.positions.body.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'flat'))]));
  }
}
