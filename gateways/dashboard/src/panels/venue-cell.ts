import { el } from '../dom.js';

/**
 * The symbol cell of a list's rows (orders, predictions), with the venue beside it once the list
 * has been handed rows of more than one venue: BTC/USDT from binance and from kraken read alike
 * otherwise. With one venue the cell is the symbol alone, as the charts' features columns are
 * headed (`features.ts`); when a second venue comes, the rows already shown are given theirs too.
 */
export class VenueCells {
  private readonly venues = new Set<string>();

  /** `root`: the list whose rows' symbol cells are tagged when a second venue comes. */
  constructor(private readonly root: HTMLElement) {}

  cell(venue: string, symbol: string): HTMLElement {
    const first = !this.venues.has(venue);
    this.venues.add(venue);
    const cell = el('span', { class: 'row-symbol', 'data-venue': venue }, symbol);
    if (first && this.venues.size === 2) for (const c of this.root.querySelectorAll<HTMLElement>('.row-symbol')) tag(c);
    if (this.venues.size > 1) tag(cell);
    return cell;
  }
}

const tag = (cell: HTMLElement): void => {
  if (cell.querySelector('.row-venue') !== null) return;
  cell.append(' ', el('span', { class: 'row-venue', title: 'venue' }, cell.dataset['venue'] ?? ''));
};
