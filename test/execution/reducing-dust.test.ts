import { describe, expect, it } from 'vitest';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { reducesPosition } from '../../models/reducing-order.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { baseLimits, BTC, T0, VENUE } from '../risk/risk-fixtures.js';
import { prediction } from './fixtures.js';

const fillOfOrder = (id: string, s: Suggestion, ts: number): Fill => ({
  type: 'exec.fill', v: 1, id: `x:${id}:0`, ts, orderId: id, strategy: s.strategy, venue: s.venue, symbol: s.symbol, side: s.side, qty: s.qty, price: 100, fee: 0, liquidity: 'taker', slippageBps: 0, final: true,
});

describe('reducing orders and floating-point dust', () => {
  it('counts a last slice an ulp over what is left as reducing, but not one that really goes through zero', () => {
    // 9.77 in six slices: the last is the total less the other five, 1.6283333333333339, while the
    // position left after five fills is 1.628333333333333.
    expect(reducesPosition('sell', 1.6283333333333339, 1.628333333333333, 0)).toBe(true);
    expect(reducesPosition('buy', 1.6283333333333339, -1.628333333333333, 0)).toBe(true);
    expect(reducesPosition('sell', 1.63, 1.628333333333333, 0)).toBe(false);
    expect(reducesPosition('sell', 1, 1.628333333333333, 0.7)).toBe(false);
    expect(reducesPosition('sell', 1, 0, 0)).toBe(false);
    expect(reducesPosition('buy', 1, 2, 0)).toBe(false);
  });

  it('works a long position down to flat in six TWAP slices while the account is reduce-only', () => {
    const held = 9.77;
    const risk = createRiskCore({ account: 'a', limits: { ...baseLimits, maxOrderQty: { default: 100 }, maxPositionQty: { default: 100 }, staleAfterMs: 1e9 } });
    risk.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    risk.onFill({ type: 'exec.fill', v: 1, id: 'x:o:seed:0', ts: T0, orderId: 'o:seed', strategy: 's1', venue: VENUE, symbol: BTC, side: 'buy', qty: held, price: 100, fee: 0, liquidity: 'taker', slippageBps: 0, final: true });
    risk.reduce({ reason: 'operator', ts: T0 });
    const exec = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 6, orderType: 'market' }), minQty: 0, positions: { [`${VENUE}|${BTC}`]: held }, trading: (st, sy) => risk.tradingFor(st, sy) });
    exec.onMarket({ type: 'md.trade', v: 1, id: 't0', venue: VENUE, symbol: BTC, ts: T0, price: 100, qty: 1, side: 'buy' });
    const decided: string[] = [];
    const handle = (ss: readonly Suggestion[], now: number): void => {
      for (const s of ss) {
        const d = risk.onSuggestion(s, now);
        decided.push(d.kind);
        if (d.kind === 'order') {
          const f = fillOfOrder(d.order.id, s, now);
          risk.onFill(f);
          exec.onFill(f);
        } else exec.onReject(d.reject);
      }
    };
    handle(exec.onPrediction(prediction(T0, 0, { venue: VENUE, symbol: BTC, horizonMs: 600_000 }), T0), T0);
    for (let t = T0 + 1000; t <= T0 + 600_000; t += 1000) {
      risk.onMarket({ venue: VENUE, symbol: BTC, ts: t, mid: 100 });
      handle(exec.onTime(t), t);
    }
    expect(decided).toEqual(['order', 'order', 'order', 'order', 'order', 'order']);
    expect(exec.stats().cancelled).toBe(0);
    expect(risk.status().positions.find((p) => p.symbol === BTC)?.qty ?? 0).toBe(0);
    expect(exec.asset(VENUE, BTC)?.position).toBe(0);
  });
});
