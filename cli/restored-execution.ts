import type { RestoredChild } from '../models/execution/execution-core.js';
import { assetKey } from '../models/execution/execution-core.js';
import type { RiskBookSnapshot } from '../models/risk/risk-book.js';

export type RestoredExecution = Readonly<{ positions: Readonly<Record<string, number>>; working: readonly RestoredChild[] }>;

/**
 * What the execution core of `strategy` starts from after a restart: the positions and the orders
 * in flight of the risk book restored from the store. In an engine the risk account is traded by
 * its one strategy alone (every order it books was that strategy's), so the account's positions
 * are the strategy's; orders in flight are taken when they are the strategy's (or were stored
 * before orders kept their strategy). Without them execution started flat: every intent after
 * the restart was sized as if nothing were held, and a flatten never closed what was.
 *
 * @example restoredExecution(risk.core.bookSnapshot().book, cfg.strategy.name)
 */
export function restoredExecution(book: RiskBookSnapshot, strategy: string): RestoredExecution {
  const positions: Record<string, number> = {};
  for (const p of book.positions) if (p.qty !== 0) positions[assetKey(p.venue, p.symbol)] = p.qty;
  const working: RestoredChild[] = [];
  for (const o of book.inFlight) {
    if (o.strategy !== undefined && o.strategy !== strategy) continue;
    if (!(o.remaining > 0)) continue;
    const bar = o.key.indexOf('|');
    working.push({ orderId: o.orderId, venue: o.key.slice(0, bar), symbol: o.key.slice(bar + 1), side: o.side, remaining: o.remaining, expiresAt: o.expiresAt });
  }
  return { positions, working };
}
