import { z } from 'zod';
import type { Bar } from '../../streams/messages/bar.js';
import { positive } from '../../streams/messages/common.js';
import { runBaseline } from './baseline-runner.js';
import type { BaselineRun, BaselineRunOptions, OrderIntent } from './baseline-runner.js';

export type { BaselineRun, BaselineRunOptions } from './baseline-runner.js';

/** The grid run when none is specified: ten 2 % levels below the first close (down to −20 %). */
export const DEFAULT_GRID = { levels: 10, stepBps: 200 } as const;

const BuyAndHoldOptionsSchema = z.object({ capital: positive }).strict();

const GridOptionsSchema = z
  .object({
    capital: positive,
    /** Most lots held per symbol, and the number of buy levels below the first close. */
    levels: z.number().int().min(1).max(1000),
    /** Distance between adjacent levels, in bps of the first close. */
    stepBps: positive,
  })
  .strict()
  .refine((o) => o.levels * o.stepBps < 1e4, { message: 'levels × stepBps must be < 10,000 so every buy level is a positive price', path: ['stepBps'] });

export type BuyAndHoldOptions = BaselineRunOptions;
/** `levels` and `stepBps` default to {@link DEFAULT_GRID}. */
export type GridOptions = BaselineRunOptions & Readonly<{ levels?: number; stepBps?: number }>;

const symbolsOf = (bars: readonly Bar[]): string[] => [...new Set(bars.map((b) => b.symbol))].sort();

/**
 * Buy-and-hold: at each symbol's first bar, a market buy of capital / N worth of it (N = the
 * symbols in `bars`), held to the end. The quantity leaves room for the taker's half spread and
 * fee at the price seen, so a fill at that price spends exactly the symbol's share of the capital;
 * the venue fills it at the next bar's open. Positions are never closed, so `trades` is empty and
 * the costs show in the curve and `feesPaid`.
 *
 * @example runBuyAndHold(bars, { capital: 10_000, venue: venueOptions }).metrics.total_return
 */
export function runBuyAndHold(bars: readonly Bar[], opts: BuyAndHoldOptions): BaselineRun {
  const { capital } = BuyAndHoldOptionsSchema.parse({ capital: opts.capital });
  const symbols = symbolsOf(bars);
  const budget = capital / symbols.length;
  const costFactor = (1 + opts.venue.spreadBps / 2 / 1e4) * (1 + opts.venue.takerFeeBps / 1e4);
  const bought = new Set<string>();
  return runBaseline(bars, opts, {
    name: 'buy-and-hold',
    onBars({ bars: group }) {
      const out: OrderIntent[] = [];
      for (const b of group) {
        if (bought.has(b.symbol)) continue;
        bought.add(b.symbol);
        out.push({ symbol: b.symbol, side: 'buy', qty: budget / (b.close * costFactor) });
      }
      return out;
    },
  });
}

type GridState = { anchor: number; lot: number; level: number; lots: number };

/**
 * A long-only symmetric grid per symbol around its first close `a`, with levels at
 * `a · (1 + k · stepBps / 1e4)` for integer k. Starting at level 0 with no inventory, each bar
 * close `c` that reaches the level below the last trade level (`c ≤ level(k − 1)`) buys one lot
 * per level reached, and each close that reaches the level above (`c ≥ level(k + 1)`) sells one
 * lot per level; the last trade level moves only when a lot trades. At most `levels` lots are
 * held, never fewer than zero, so a grid that ran out of inventory waits for the price to come
 * back. A lot is capital / N / levels worth at the first close, so the full grid costs at most
 * the symbol's share of the capital (plus costs). One market order per symbol per bar, through
 * the paper venue: it fills at the next open, and a sell never exceeds the position not already
 * being sold.
 *
 * @example runGrid(bars, { capital: 10_000, levels: 5, stepBps: 200, venue: venueOptions })
 */
export function runGrid(bars: readonly Bar[], opts: GridOptions): BaselineRun {
  const o = GridOptionsSchema.parse({ capital: opts.capital, levels: opts.levels ?? DEFAULT_GRID.levels, stepBps: opts.stepBps ?? DEFAULT_GRID.stepBps });
  const step = o.stepBps / 1e4;
  const budget = o.capital / symbolsOf(bars).length;
  const grids = new Map<string, GridState>();
  return runBaseline(bars, opts, {
    name: 'grid',
    onBars({ bars: group, portfolio, pending }) {
      const out: OrderIntent[] = [];
      for (const b of group) {
        const g = grids.get(b.symbol);
        if (g === undefined) {
          grids.set(b.symbol, { anchor: b.close, lot: budget / o.levels / b.close, level: 0, lots: 0 });
          continue;
        }
        const price = (k: number): number => g.anchor * (1 + k * step);
        let buys = 0;
        while (g.lots + buys < o.levels && b.close <= price(g.level - buys - 1)) buys++;
        if (buys > 0) {
          g.level -= buys;
          g.lots += buys;
          out.push({ symbol: b.symbol, side: 'buy', qty: buys * g.lot });
          continue;
        }
        let sells = 0;
        while (g.lots - sells > 0 && b.close >= price(g.level + sells + 1)) sells++;
        if (sells === 0) continue;
        const available = portfolio.position(b.symbol) - pending(b.symbol, 'sell');
        const qty = Math.min(sells * g.lot, available);
        if (!(qty > 1e-9 * g.lot)) continue;
        g.level += sells;
        g.lots -= sells;
        out.push({ symbol: b.symbol, side: 'sell', qty });
      }
      return out;
    },
  });
}
