import { describe, expect, it } from 'vitest';
import { baselineOrder } from '../../models/backtest/baseline-runner.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createPendingHorizons } from '../../models/labeling/pending-horizons.js';
import { decodeText, encode } from '../../streams/codec.js';
import { barId } from '../../streams/messages/bar.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const VENUE = 'binance';
const SYMBOL = 'BTC/USDT';

/** The decision bar (open time) the labeler (1h strategy bars) takes for `o`, read off the wire. */
const labelerDecisionBar = (o: Order): number => {
  const s = createPendingHorizons(H, DEFAULT_LABEL_SPEC);
  s.addOrder(OrderSchema.parse(JSON.parse(decodeText(encode(o)))), (t) => `f:${barId(VENUE, SYMBOL, '1h', t)}`);
  s.addBar(VENUE, SYMBOL, { ts: T0 + 1_000 * H, high: 1, low: 1, close: 1 });
  s.advanceExec(T0 + 1_000 * H);
  const [item] = s.due();
  if (item === undefined) throw new Error('nothing due');
  return item.decisionTs;
};

describe('baseline orders say when they were decided', () => {
  it('an order decided at the close of the 02:00 bar carries decidedAt = that close, and reads as decided on the 02:00 bar, not the 03:00 one', () => {
    const close = T0 + 3 * H; // the 02:00 bar's close, on the grid
    const o = baselineOrder({ strategy: 'buy-and-hold', venue: VENUE, intent: { symbol: SYMBOL, side: 'buy', qty: 1 }, held: 0, at: close });
    expect(o).toMatchObject({ ts: close, decidedAt: close, suggestionId: `buy-and-hold:${SYMBOL}:${close}` });
    expect(labelerDecisionBar(o)).toBe(T0 + 2 * H);
  });
});
