import { describe, expect, it } from 'vitest';
import { CoreBookSnapshotSchema, createRiskCore } from '../../models/risk/risk-core.js';
import { BarSchema } from '../../streams/messages/bar.js';
import { FillSchema, fillId } from '../../streams/messages/fill.js';
import { LabeledSubjectSchema } from '../../streams/messages/outcome.js';
import { OrderSchema } from '../../streams/messages/order.js';
import { RejectSchema } from '../../streams/messages/reject.js';
import { SuggestionSchema } from '../../streams/messages/suggestion.js';
import { baseLimits, BTC, suggestion, T0, VENUE } from './risk-fixtures.js';

describe('ids derived from the longest ids the edge takes', () => {
  it('fit their own schemas, and the risk book that holds them restores', () => {
    const c = createRiskCore({ account: 'a', limits: baseLimits });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const longest = SuggestionSchema.parse(suggestion({ id: `s:${'x'.repeat(298)}` }));
    expect(longest.id).toHaveLength(300);
    const approved = c.onSuggestion(longest, T0);
    if (approved.kind !== 'order') throw new Error(`refused: ${JSON.stringify(approved.reject.reasons)}`);
    expect(OrderSchema.safeParse(approved.order).success).toBe(true);
    const refused = c.onSuggestion(SuggestionSchema.parse(suggestion({ id: `s:${'y'.repeat(298)}`, symbol: 'NOPE/USDT' })), T0);
    if (refused.kind !== 'reject') throw new Error('approved an unlisted symbol');
    expect(RejectSchema.safeParse(refused.reject).success).toBe(true);
    const fill = { type: 'exec.fill', v: 1, id: fillId(approved.order.id, 12_345), ts: T0, orderId: approved.order.id, strategy: 'alpha', venue: VENUE, symbol: BTC, side: 'buy', qty: 1, price: 100, fee: 0, liquidity: 'taker', slippageBps: 0, final: true };
    expect(FillSchema.safeParse(fill).success).toBe(true);
    expect(LabeledSubjectSchema.safeParse({ kind: 'order', id: approved.order.id }).success).toBe(true);
    // The book remembers both decisions with their messages; its snapshot must load again.
    expect(CoreBookSnapshotSchema.safeParse(JSON.parse(JSON.stringify(c.bookSnapshot()))).success).toBe(true);
  });

  it('refuses a suggestion id whose derived ids would not fit, and a market-data id over 200 characters', () => {
    expect(SuggestionSchema.safeParse(suggestion({ id: 'x'.repeat(301) })).success).toBe(false);
    const bar = { type: 'md.bar', v: 1, venue: VENUE, symbol: BTC, tf: '1h', open: 1, high: 1, low: 1, close: 1, volume: 1, ts: T0 };
    expect(BarSchema.safeParse({ ...bar, id: 'b'.repeat(200) }).success).toBe(true);
    expect(BarSchema.safeParse({ ...bar, id: 'b'.repeat(201) }).success).toBe(false);
  });
});
