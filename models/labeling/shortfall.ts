import type { Direction } from './excursions.js';

/** What the shortfall needs of a fill. */
export type FillPart = Readonly<{ ts: number; qty: number; price: number; fee: number }>;

export type Shortfall = Readonly<{
  decisionPrice: number;
  orderQty: number;
  filledQty: number;
  /** Volume-weighted fill price; null when nothing filled. */
  avgFillPrice: number | null;
  /** Fees paid, quote currency, summed over the fills: negative where maker rebates (negative fill fees) outweigh them. */
  fees: number;
  /** Cost of the filled part against the decision price, fees included, bps (positive = worse); null when nothing filled. */
  executionBps: number | null;
  /** Cost of the unfilled part: the direction-signed move from decision price to the horizon close it missed, bps. */
  opportunityBps: number;
  /** Perold's implementation shortfall per unit of the order: filled share × execution + unfilled share × opportunity, bps. */
  totalBps: number;
}>;

/**
 * Implementation shortfall of one order against its decision price (the close of the decision
 * bar), from the fills seen up to the exit (the horizon bar's close). Positive is a cost.
 * Over-fills count as filled (the unfilled share is clamped at 0).
 */
export function implementationShortfall(
  x: Readonly<{ direction: Direction; orderQty: number; decisionPrice: number; exitPrice: number; fills: readonly FillPart[] }>,
): Shortfall {
  let filledQty = 0;
  let notional = 0;
  let fees = 0;
  for (const f of x.fills) {
    filledQty += f.qty;
    notional += f.qty * f.price;
    fees += f.fee;
  }
  const p0 = x.decisionPrice;
  const avgFillPrice = filledQty > 0 ? notional / filledQty : null;
  const executionBps = avgFillPrice === null ? null : (x.direction * (avgFillPrice - p0) * 10_000) / p0 + (fees * 10_000) / (filledQty * p0);
  const opportunityBps = (x.direction * (x.exitPrice - p0) * 10_000) / p0;
  const filledShare = Math.min(1, filledQty / x.orderQty);
  const totalBps = filledShare * (executionBps ?? 0) + (1 - filledShare) * opportunityBps;
  return { decisionPrice: p0, orderQty: x.orderQty, filledQty, avgFillPrice, fees, executionBps, opportunityBps, totalBps };
}
