import type { Bar } from '../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Trade } from '../../streams/messages/trade.js';
import { tradeId } from '../../streams/messages/trade.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';

/**
 * SYNTHETIC LOAD, not market data: trade ticks generated from real bars so benchmarks can push
 * more events through the engine than the bar files hold. Deterministic (seeded), so two runs
 * feed the same stream.
 */
export type SyntheticTradeOptions = Readonly<{
  /** Trades generated inside each bar. */
  perBar: number;
  /** Seed of the trade sizes (mulberry32). */
  seed?: number;
}>;

/**
 * `n` trades inside `bar`, at evenly spaced times after its open (`ts < t < ts + barMs`), with
 * prices walking open → low → high → close on an up bar and open → high → low → close on a down
 * bar (piecewise linear, so every price lies within the bar's range), sizes around volume / n.
 */
export function tradesInBar(bar: Bar, n: number, rand: () => number): Trade[] {
  const out: Trade[] = [];
  if (n <= 0) return out;
  const barMs = TIMEFRAME_MS[bar.tf];
  const path = bar.close >= bar.open ? [bar.open, bar.low, bar.high, bar.close] : [bar.open, bar.high, bar.low, bar.close];
  const legs = [Math.abs(path[1]! - path[0]!), Math.abs(path[2]! - path[1]!), Math.abs(path[3]! - path[2]!)];
  const total = legs[0]! + legs[1]! + legs[2]!;
  const meanQty = bar.volume > 0 ? bar.volume / n : 1e-8;
  let previous = bar.open;
  // The ids differ only in k: one prefix per bar instead of two templates and a number formatted per trade.
  const idPrefix = tradeId(bar.venue, bar.symbol, `syn-${bar.tf}-${bar.ts}-`);
  for (let k = 0; k < n; k++) {
    const f = (k + 1) / (n + 1);
    let price = bar.close;
    if (total > 0) {
      let along = f * total;
      for (let leg = 0; leg < 3; leg++) {
        const len = legs[leg]!;
        if (along <= len || leg === 2) {
          const from = path[leg]!;
          const to = path[leg + 1]!;
          price = len === 0 ? from : from + ((to - from) * Math.min(along, len)) / len;
          break;
        }
        along -= len;
      }
    }
    const ts = bar.ts + Math.max(1, Math.floor(f * barMs));
    out.push({
      type: 'md.trade',
      v: 1,
      id: idPrefix + k,
      venue: bar.venue,
      symbol: bar.symbol,
      price,
      qty: meanQty * (0.5 + rand()),
      side: price > previous ? 'buy' : price < previous ? 'sell' : 'unknown',
      ts,
    });
    previous = price;
  }
  return out;
}

/** Each bar of `bars`, followed by its synthetic trades (see {@link tradesInBar}); time ordered when `bars` is. */
export async function* withSyntheticTrades(bars: AsyncIterable<Bar> | Iterable<Bar>, opts: SyntheticTradeOptions): AsyncGenerator<Bar | Trade> {
  const rand = mulberry32(opts.seed ?? 1);
  for await (const bar of bars) {
    yield bar;
    for (const t of tradesInBar(bar, opts.perBar, rand)) yield t;
  }
}

/** {@link withSyntheticTrades} a batch at a time: each batch of bars becomes one batch of the bars and their trades (same stream, same seed use). */
export async function* withSyntheticTradeBatches(batches: AsyncIterable<readonly Bar[]> | Iterable<readonly Bar[]>, opts: SyntheticTradeOptions): AsyncGenerator<Array<Bar | Trade>> {
  const rand = mulberry32(opts.seed ?? 1);
  for await (const bars of batches) {
    const out: Array<Bar | Trade> = [];
    for (const bar of bars) {
      out.push(bar);
      for (const t of tradesInBar(bar, opts.perBar, rand)) out.push(t);
    }
    yield out;
  }
}
