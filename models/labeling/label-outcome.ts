import type { Fill } from '../../streams/messages/fill.js';
import type { Label } from '../../streams/messages/label.js';
import { labelId } from '../../streams/messages/label.js';
import type { Outcome } from '../../streams/messages/outcome.js';
import { outcomeId } from '../../streams/messages/outcome.js';
import { excursions } from './excursions.js';
import type { PathBar } from './excursions.js';
import type { LabelSpec } from './label-spec.js';
import { netReturnBps, outcomeClass } from './outcome-classes.js';
import type { PendingItem } from './pending-horizons.js';
import { implementationShortfall } from './shortfall.js';
import { tripleBarrier } from './triple-barrier.js';

export type LabelInputs = Readonly<{
  item: PendingItem;
  /** Bars with open time in [decisionTs, horizonEnd], ascending; the decision bar itself may be absent. */
  bars: readonly PathBar[];
  /** ATR-14 of the decision-time feature vector. */
  atr: number;
  /** Fills of an order up to its exit, the horizon bar's close (ignored for predictions). */
  fills: readonly Fill[];
  spec: LabelSpec;
}>;

export type Labeled = Readonly<{ outcome: Outcome; label: Label }>;

/** Why an item cannot be labeled (it goes to the DLQ). */
export type Unlabelable = Readonly<{ refused: string }>;

/** How many of the item's bars after its decision bar, up to and including the horizon bar, `bars` lacks (0: the path is whole). */
export function missingPathBars(item: Pick<PendingItem, 'decisionTs' | 'horizonEnd' | 'horizonBars'>, bars: readonly PathBar[]): number {
  const seen = new Set<number>();
  for (const b of bars) if (b.ts > item.decisionTs && b.ts <= item.horizonEnd) seen.add(b.ts);
  return Math.max(0, item.horizonBars - seen.size);
}

/**
 * How many bars the item's label needs that `bars` lacks: its path's (`missingPathBars`) and, for
 * an order, its decision bar, whose close is its decision price (a prediction carries its own `price`).
 */
export function missingBars(item: PendingItem, bars: readonly PathBar[]): number {
  const noDecisionBar = item.kind === 'order' && !bars.some((b) => b.ts === item.decisionTs);
  return missingPathBars(item, bars) + (noDecisionBar ? 1 : 0);
}

/**
 * The price an order's outcome is measured from (see {@link labelOutcome}): what it paid, the
 * volume-weighted price of its fills up to the exit (`avgFillPrice`); unfilled, its `refPrice`,
 * the mid the risk actor approved it against (the decision bar's close for a bar decision with no
 * tick since; a later mid otherwise), the price it would have traded at; an order published before
 * orders carried `refPrice`, its decision bar's close.
 */
export function orderEntry(decisionClose: number, refPrice: number | undefined, avgFillPrice: number | null): number {
  return avgFillPrice ?? refPrice ?? decisionClose;
}

/**
 * The outcome and label of one prediction or order whose horizon passed. Pure: the same item,
 * bars, ATR and fills give the same messages.
 *
 * A prediction's entry is the decision-time close, its `price` (the close of the bar it was made
 * on: a prediction is made at bar close). An order's is what it traded at: its average fill price
 * when it filled, else its `refPrice`, else (orders published before they carried one) its decision
 * bar's close (`orderEntry`): the bar close is not the price of an order approved against a later
 * mid and filled later still. Its return, excursions and barriers run from there; its shortfall
 * from the decision price, the decision bar's close (the last bar closed when it was decided), to
 * what it paid, as before. An order whose decision bar is missing gets no label: its limit price is
 * no close anybody saw (an offset from the reference, or a market order's none), and its shortfall
 * would be measured from it. The exit is the close of the horizon bar. A path with a gap (a bar missing
 * after the decision bar up to the horizon) gets no label: its exit would be an earlier close
 * (another horizon than the one the sample claims, none at all when every bar is missing) and a
 * barrier touch could hide in the hole; training's labels never span a gap either
 * (`directionLabels`).
 */
export function labelOutcome(x: LabelInputs): Labeled | Unlabelable {
  const { item, spec } = x;
  if (!(x.atr > 0) || !Number.isFinite(x.atr)) return { refused: `no usable atr_14 at decision time (${String(x.atr)}) in ${item.featureId}` };
  const decisionBar = x.bars.find((b) => b.ts === item.decisionTs);
  if (item.kind === 'order' && decisionBar === undefined) return { refused: `no decision price: the order's decision bar ${item.decisionTs} (its close is the decision price) is missing` };
  const decisionPrice = item.kind === 'prediction' ? item.msg.price : (decisionBar as PathBar).close;
  if (!(decisionPrice > 0)) return { refused: `no decision price: ${String(decisionPrice)} at ${item.decisionTs}` };
  const path = x.bars.filter((b) => b.ts > item.decisionTs && b.ts <= item.horizonEnd);
  const missing = missingPathBars(item, x.bars);
  if (missing > 0) return { refused: `data gap: ${missing} of the ${item.horizonBars} bars after the decision bar ${item.decisionTs} up to the horizon ${item.horizonEnd} missing` };
  const exit = (path[path.length - 1] as PathBar).close;
  const shortfall =
    item.kind === 'order' ? implementationShortfall({ direction: item.direction, orderQty: item.msg.qty, decisionPrice, exitPrice: exit, fills: x.fills }) : null;
  const entry = item.kind === 'order' ? orderEntry(decisionPrice, item.msg.refPrice, shortfall?.avgFillPrice ?? null) : decisionPrice;
  const forwardReturn = Math.log(exit / entry);
  const net = netReturnBps(item.direction * forwardReturn, spec.costBps);
  const { mfe, mae } = excursions(entry, item.direction, path);
  const tb = tripleBarrier({ entry, atr: x.atr, direction: item.direction, takeProfitAtr: spec.takeProfitAtr, stopLossAtr: spec.stopLossAtr, path, horizonEnd: item.horizonEnd });
  const cls = outcomeClass(net, spec.classThresholds);
  const m = item.msg;
  const model = item.kind === 'prediction' ? item.msg.model : null;
  const subject = { kind: item.kind, id: item.id } as const;
  const outcome: Outcome = {
    type: 'outcome',
    v: 1,
    id: outcomeId(item.id),
    ts: item.horizonEnd,
    strategy: m.strategy,
    venue: m.venue,
    symbol: m.symbol,
    subject,
    decisionTs: item.decisionTs,
    horizonBars: item.horizonBars,
    bars: path.length,
    direction: item.direction,
    entryPrice: entry,
    exitPrice: exit,
    forwardReturn,
    netReturnBps: net,
    costBps: spec.costBps,
    mfe,
    mae,
    atr: x.atr,
    barrier: { label: tb.label, hit: tb.barrier, hitTs: tb.hitTs, takeProfit: tb.takeProfit, stopLoss: tb.stopLoss },
    outcomeClass: cls,
    model,
    shortfall,
  };
  const label: Label = {
    type: 'label',
    v: 1,
    id: labelId(item.id),
    ts: item.horizonEnd,
    strategy: m.strategy,
    venue: m.venue,
    symbol: m.symbol,
    subject,
    decisionTs: item.decisionTs,
    label: tb.label,
    barrier: tb.barrier,
    hitTs: tb.hitTs,
    outcomeClass: cls,
    forwardReturn,
    netReturnBps: net,
    featureId: item.featureId,
    model,
    featureSpecHash: item.kind === 'prediction' ? item.msg.featureSpecHash : null,
  };
  return { outcome, label };
}
