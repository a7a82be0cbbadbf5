import { describe, expect, it } from 'vitest';
import { bookKey, RiskBook } from '../../models/risk/risk-book.js';
import { BTC, fill, VENUE } from './risk-fixtures.js';

const WINDOW = 86_400_000;

describe('risk book: fills', () => {
  it('books a close that leaves floating-point dust (0.1 + 0.2 bought, 0.3 sold) as flat, with the PnL of the whole quantity', () => {
    const book = new RiskBook();
    // 0.1 + 0.2 − 0.3 is 5.55e-17 in doubles: the dust the book must not keep.
    book.applyFill(fill({ orderId: 'a', side: 'buy', qty: 0.1, price: 100 }), WINDOW);
    book.applyFill(fill({ orderId: 'b', side: 'buy', qty: 0.2, price: 100 }), WINDOW);
    book.applyFill(fill({ orderId: 'c', side: 'sell', qty: 0.3, price: 110 }), WINDOW);
    const p = book.positions.get(bookKey(VENUE, BTC));
    expect(p?.qty).toBe(0);
    expect(p?.avgCost).toBe(0);
    expect(p?.realised).toBeCloseTo(0.3 * 10, 12); // the fixture's fills pay no fee
    // The next buy opens afresh at its own price.
    book.applyFill(fill({ orderId: 'd', side: 'buy', qty: 0.5, price: 120 }), WINDOW);
    expect(book.positions.get(bookKey(VENUE, BTC))).toMatchObject({ qty: 0.5, avgCost: 120 });
  });

  it('keeps a real remainder, however small against the fills, and a flip at the flipping fill\'s price', () => {
    const book = new RiskBook();
    book.applyFill(fill({ orderId: 'a', side: 'buy', qty: 1, price: 100 }), WINDOW);
    book.applyFill(fill({ orderId: 'b', side: 'sell', qty: 1 - 1e-9, price: 101 }), WINDOW);
    expect(book.positions.get(bookKey(VENUE, BTC))?.qty).toBeCloseTo(1e-9, 15);
    expect(book.positions.get(bookKey(VENUE, BTC))?.avgCost).toBe(100);
    book.applyFill(fill({ orderId: 'c', side: 'sell', qty: 2, price: 102 }), WINDOW);
    expect(book.positions.get(bookKey(VENUE, BTC))).toMatchObject({ avgCost: 102 });
    expect(book.positions.get(bookKey(VENUE, BTC))?.qty).toBeCloseTo(-2 + 1e-9, 12);
  });
});
