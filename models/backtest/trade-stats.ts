import { z } from 'zod';
import { finite, positive, symbol } from '../../streams/messages/common.js';

/**
 * A closed round trip: opened at `entryTs`, closed at `exitTs`. `pnl` is net of `fees` (both in
 * quote currency; `fees` is net of maker rebates, so negative where they exceeded the fees); it is
 * taken as given rather than recomputed from the prices because linear, inverse and
 * funding-bearing contracts settle differently.
 */
export const ClosedTradeSchema = z
  .object({
    entryTs: z.number().int().nonnegative(),
    exitTs: z.number().int().nonnegative(),
    symbol,
    side: z.enum(['long', 'short']),
    qty: positive,
    entryPrice: positive,
    exitPrice: positive,
    pnl: finite,
    fees: finite,
  })
  .refine((t) => t.exitTs >= t.entryTs, { message: 'exitTs must not be before entryTs', path: ['exitTs'] })
  .readonly();
export type ClosedTrade = z.infer<typeof ClosedTradeSchema>;

export type TradeStats = Readonly<{
  trades: number;
  /** Share of trades with net pnl > 0 (a break-even trade is not a win); null with no trades. */
  winRate: number | null;
  /** Gross profit / gross loss of net pnl; null when no trade lost money (incl. no trades). */
  profitFactor: number | null;
  /** Mean net pnl per trade in quote currency; null with no trades. */
  averageTrade: number | null;
  grossProfit: number;
  /** Sum of losing trades' net pnl as a positive number. */
  grossLoss: number;
}>;

/** Win rate, profit factor and average trade of closed round trips. */
export function tradeStats(trades: readonly ClosedTrade[]): TradeStats {
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let net = 0;
  for (const t of trades) {
    net += t.pnl;
    if (t.pnl > 0) {
      wins++;
      grossProfit += t.pnl;
    } else if (t.pnl < 0) {
      grossLoss -= t.pnl;
    }
  }
  const n = trades.length;
  return {
    trades: n,
    winRate: n === 0 ? null : wins / n,
    profitFactor: grossLoss === 0 ? null : grossProfit / grossLoss,
    averageTrade: n === 0 ? null : net / n,
    grossProfit,
    grossLoss,
  };
}
