import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { featureVectorId } from '../../streams/messages/feature-vector.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { predictionId } from '../../streams/messages/prediction.js';

export const H = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);
export const VENUE = 'binance';

export const bar = (i: number, high: number, low: number, close: number, symbol = 'BTC/USDT', open = close): Bar => ({
  type: 'md.bar', v: 1, id: barId(VENUE, symbol, '1h', T0 + i * H), venue: VENUE, symbol, tf: '1h',
  open: Math.min(Math.max(open, low), high), high, low, close, volume: 10, ts: T0 + i * H,
});

/** The decision-time vector of bar i, as the asset actor stores it (only the fields the labels read matter). */
export const vectorOf = (b: Bar, atr: number | null, extra: Record<string, number | null> = {}): FeatureVector => ({
  type: 'feat.vector', v: 1, id: featureVectorId(b.id), venue: b.venue, symbol: b.symbol, ts: b.ts, source: b.id, values: { atr_14: atr, close: b.close, ...extra },
});

export const prediction = (strategy: string, b: Bar, expectedReturn: number, horizonBars = 4): Prediction => ({
  type: 'pred', v: 1, id: predictionId(strategy, featureVectorId(b.id)), ts: b.ts, strategy, venue: b.venue, symbol: b.symbol,
  source: featureVectorId(b.id), model: { name: 'direction-mlp', version: 2 }, featureSpecHash: 'spec-hash-1', horizonMs: horizonBars * H,
  probs: expectedReturn >= 0 ? { down: 0.2, flat: 0.3, up: 0.5 } : { down: 0.5, flat: 0.3, up: 0.2 },
  expectedReturn, interval80: [expectedReturn - 0.01, expectedReturn + 0.01], interval95: [expectedReturn - 0.02, expectedReturn + 0.02],
  attributions: [], confidence: 0.5, price: b.close, intent: null,
});

export const order = (strategy: string, b: Bar, side: 'buy' | 'sell', qty = 1, n = 0): Order => ({
  type: 'exec.order', v: 1, id: `o:s:e:${b.id}:${n}`, ts: b.ts, strategy, venue: b.venue, symbol: b.symbol, suggestionId: `s:e:${b.id}:${n}`,
  side, qty, orderType: 'market', limitPrice: null, expiresAt: b.ts + H, reducing: false,
});

export const fill = (o: Order, n: number, ts: number, qty: number, price: number, final: boolean, fee = 0): Fill => ({
  type: 'exec.fill', v: 1, id: `x:${o.id}:${n}`, ts, orderId: o.id, strategy: o.strategy, venue: o.venue, symbol: o.symbol,
  side: o.side, qty, price, fee, liquidity: 'taker', slippageBps: 0, final,
});

/** A seeded random walk of n hourly bars (deterministic; mulberry32). */
export function randomWalk(n: number, seed: number, symbol = 'BTC/USDT', start = 100): Bar[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Bar[] = [];
  let c = start;
  for (let i = 0; i < n; i++) {
    const o = c;
    c = Math.max(1, c * Math.exp((rnd() - 0.5) * 0.04));
    const high = Math.max(o, c) * (1 + rnd() * 0.01);
    const low = Math.min(o, c) * (1 - rnd() * 0.01);
    out.push(bar(i, high, low, c, symbol, o));
  }
  return out;
}
