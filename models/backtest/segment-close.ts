import { EwmaVol } from '../features/ewma-vol.js';
import { createBarSpreadEstimator } from '../execution/bar-spread.js';
import { takerPrice } from '../execution/taker-price.js';
import type { PaperVenueOptions } from '../execution/paper-venue-core.js';
import type { Bar } from '../../streams/messages/bar.js';
import { fillId } from '../../streams/messages/fill.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { OpenPosition } from './positions.js';

export type SegmentClose = Readonly<{
  /** One taker fill per open position, at the symbol's last close less half the spread and the impact. */
  fills: readonly Fill[];
  /** What closing costs against the positions valued at the last closes (spread, impact and fees): ≥ 0. */
  cost: number;
}>;

/**
 * Closes the positions a walk-forward segment leaves open, as a taker at the symbol's last close
 * in the segment — the costs the paper venue charges a market order there: half the spread (the
 * venue's spread model learnt on the segment's bars, its fixed `spreadBps` until that warms up),
 * square-root impact `impactCoeff · σ · sqrt(qty / V) · 1e4` bps with σ the EWMA volatility of the
 * segment's closes and V the last bar's volume, and the taker fee. The next segment starts flat,
 * so without this a position held across a boundary would leave for free. Unlike the venue, it
 * does not cap the size at a share of the bar's volume: the whole position leaves at once.
 *
 * @example
 * const { fills, cost } = closeSegment(positionsOf(fills).open, segmentBars, venueOptions, { strategy: 'dirmlp', ts: end });
 */
export function closeSegment(open: readonly OpenPosition[], bars: readonly Bar[], venue: PaperVenueOptions, at: Readonly<{ strategy: string; ts: number }>): SegmentClose {
  const fills: Fill[] = [];
  let cost = 0;
  for (const p of open) {
    const own = bars.filter((b) => b.symbol === p.symbol);
    const last = own[own.length - 1];
    if (last === undefined) throw new RangeError(`no bar of ${p.symbol} in the segment to close its position at`);
    const vol = new EwmaVol(venue.volLambda);
    const spread = createBarSpreadEstimator(venue.spreadModel ?? { kind: 'fixed' });
    let prev = Number.NaN;
    for (const b of own) {
      if (prev > 0) vol.update(Math.log(b.close / prev));
      prev = b.close;
      spread.update(b);
    }
    const qty = Math.abs(p.qty);
    const half = (spread.value() ?? venue.spreadBps / 1e4) / 2;
    const sigma = vol.value;
    const impact = sigma === null || !(last.volume > 0) ? 0 : venue.slippage.impactCoeff * sigma * Math.sqrt(qty / last.volume);
    const side = p.qty > 0 ? 'sell' : 'buy';
    const away = half + impact;
    const price = takerPrice(last.close, side, away * 1e4);
    const fee = (qty * price * venue.takerFeeBps) / 1e4;
    const slip = Math.abs(price - last.close);
    cost += qty * slip + fee;
    const orderId = `o:segment-close:${p.symbol}:${at.ts}`;
    fills.push({
      type: 'exec.fill',
      v: 1,
      id: fillId(orderId, 0),
      ts: at.ts,
      orderId,
      strategy: at.strategy,
      venue: venue.venue,
      symbol: p.symbol,
      side,
      qty,
      price,
      fee,
      liquidity: 'taker',
      slippageBps: (slip / last.close) * 1e4,
      final: true,
    });
  }
  return { fills, cost };
}
