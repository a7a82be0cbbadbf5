import { describe, expect, it } from 'vitest';
import { bookKey, RiskBook } from '../../models/risk/risk-book.js';
import { encode } from '../../streams/codec.js';
import { MAX_REBATE_SHARE } from '../../streams/messages/fill.js';
import { subjectsFor } from '../../streams/subjects.js';
import { decodeFill } from '../../streams/validation/decode-fill.js';
import { BTC, fill, VENUE } from './risk-fixtures.js';

const WINDOW = 86_400_000;
const subjects = subjectsFor('sx');
const isKnown = (): boolean => true;
const decode = (f: ReturnType<typeof fill>) => decodeFill(subjects.fill(VENUE, BTC), encode(f), subjects, isKnown);

// A live venue pays makers a rebate: the desk reports it as a negative fee. It was dead-lettered
// (fee must be >= 0), so the risk book never held the position nor the PnL.
describe('a maker rebate (a negative fee) on a live consumer\'s fill', () => {
  it('is accepted at the edge and the risk book\'s realised PnL includes it', () => {
    const buy = fill({ orderId: 'o:a', side: 'buy', qty: 0.01, price: 42_000, fee: -0.5, liquidity: 'maker' });
    const sell = fill({ orderId: 'o:b', side: 'sell', qty: 0.01, price: 42_100, fee: 0.42, liquidity: 'taker' });
    const book = new RiskBook();
    for (const f of [buy, sell]) {
      const d = decode(f);
      expect(d).toEqual({ ok: true, fill: f });
      if (d.ok) book.applyFill(d.fill, WINDOW);
    }
    // 0.01 × 100 on the round trip, + 0.5 rebate − 0.42 fee.
    expect(book.positions.get(bookKey(VENUE, BTC))?.realised).toBeCloseTo(1 + 0.5 - 0.42, 10);
  });

  it('is refused, naming the fee and the bound, past 1 % of the fill\'s notional (a sign or unit error)', () => {
    expect(MAX_REBATE_SHARE).toBe(0.01);
    // Notional 0.01 × 42,000 = 420: a rebate of 4.2 is the most a fill may carry.
    expect(decode(fill({ orderId: 'o:c', qty: 0.01, price: 42_000, fee: -4.2, liquidity: 'maker' }))).toMatchObject({ ok: true });
    expect(decode(fill({ orderId: 'o:d', qty: 0.01, price: 42_000, fee: -42, liquidity: 'maker' }))).toEqual({
      ok: false,
      reason: 'SCHEMA',
      detail: "fee: a rebate of 42 is over 1 % of the fill's notional (qty × price = 420): at most 4.2",
    });
  });

  it('is not named for a fill whose qty or price is refused: a paid fee is no rebate', () => {
    // Seen live: `qty: -1, fee: 0.01` was dead-lettered as 'qty: must be > 0; fee: a rebate of -0.01 is
    // over 1 % of the fill's notional (qty × price = -67373.306495): at most -673.73306495'.
    expect(decode(fill({ orderId: 'o:e', qty: -1, price: 42_000, fee: 0.01 }))).toEqual({ ok: false, reason: 'SCHEMA', detail: 'qty: must be > 0' });
    expect(decode(fill({ orderId: 'o:f', qty: 0.01, price: 0, fee: -1 }))).toEqual({ ok: false, reason: 'SCHEMA', detail: 'price: must be > 0' });
  });
});
