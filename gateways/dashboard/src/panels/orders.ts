import type { Expiry } from '../../../../streams/messages/expiry.js';
import type { Fill } from '../../../../streams/messages/fill.js';
import type { Order } from '../../../../streams/messages/order.js';
import type { Reject } from '../../../../streams/messages/reject.js';
import { fmt } from '../dom.js';
import { quoteOf, withUnit } from '../units.js';
import { RecentList } from './recent-list.js';
import { VenueCells } from './venue-cell.js';

/**
 * Approved orders, risk rejects (every reason, with the risk actor's detail when it gives one), fills and expiries (the venue stopped working an order, quantity left), newest first; prices in the symbol's quote currency.
 * The symbol is named with its venue once rows of more than one venue came (`venue-cell.ts`).
 */
export class OrdersPanel {
  private readonly list = new RecentList('orders', 'Orders, rejects and fills', ['time (UTC)', 'symbol', 'what', 'side', 'qty', 'price / why refused'], new Set([2]));
  readonly root = this.list.root;
  private readonly symbols = new VenueCells(this.root);

  add(m: Order | Reject | Fill | Expiry): void {
    const symbol = this.symbols.cell(m.venue, m.symbol);
    switch (m.type) {
      case 'exec.order':
        this.list.add(m.id, m.ts, [fmt.time(m.ts), symbol, `order (${m.orderType})`, m.side, fmt.num(m.qty), m.limitPrice === null ? 'market' : withUnit(fmt.num(m.limitPrice), quoteOf(m.symbol))], `order-${m.side}`);
        return;
      case 'exec.reject':
        this.list.add(m.id, m.ts, [fmt.time(m.ts), symbol, 'reject', '', '', m.detail === '' ? m.reasons.join(', ') : m.detail], 'reject');
        return;
      case 'exec.fill':
        this.list.add(m.id, m.ts, [fmt.time(m.ts), symbol, `fill (${m.liquidity})`, m.side, fmt.num(m.qty), withUnit(fmt.num(m.price), quoteOf(m.symbol))], 'fill');
        return;
      case 'exec.expired':
        this.list.add(m.id, m.ts, [fmt.time(m.ts), symbol, `expired (${m.reason})`, '', fmt.num(m.remainingQty), m.text ?? `${m.orderId}: ${fmt.num(m.remainingQty)} left unfilled`], 'expired');
        return;
    }
  }
}
