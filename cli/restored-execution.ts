import type { RestoredChild } from '../models/execution/execution-core.js';
import { assetKey } from '../models/execution/execution-core.js';
import type { ExecutionSnapshot } from '../models/execution/execution-snapshot.js';
import { ExecutionSnapshotSchema } from '../models/execution/execution-snapshot.js';
import type { RiskBookSnapshot } from '../models/risk/risk-book.js';
import type { Logger } from '../state/logger.js';

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
    // An order the venue expired with fills of it still to come works only for those (risk-book.ts `awaited`).
    working.push({ orderId: o.orderId, venue: o.key.slice(0, bar), symbol: o.key.slice(bar + 1), side: o.side, remaining: o.awaited ?? o.remaining, expiresAt: o.expiresAt });
  }
  return { positions, working };
}

/** The names of the policies that work parents now (`executionSettings`): a stored parent is restored only with the one that planned it. */
export type ExecutionPolicyNames = Readonly<{ policy: string; flattenPolicy: string }>;

/**
 * Execution's state stored with the risk book (`execution`, cli/risk-persist.ts), to start the
 * execution core from after a restart (`ExecutionCoreOptions.restored`): each asset's reference
 * prices and estimates, and its parent under way, whose later children then go out as they would
 * have without the restart (same ids, sizes and times: a child falls due when its asset's event
 * time reaches it, on the redelivered or the new market data alike). Each parent taken back is
 * logged (children sent, when the next and the last fall due).
 *
 * Undefined, and execution starts without parents as before it was stored (the next intent opens
 * one afresh from the restored position and orders in flight; a close risk wants opens again at
 * the next event): when the row has none (a first start, a book stored before it was), when it is
 * not valid (logged as an error), or when it is another strategy's (logged). A parent planned by a
 * policy that is not the one configured for it now (the config changed across the restart) is
 * dropped with a warning: the operator chose another way of working orders.
 *
 * @example restoredExecutionState(stored.book, 'momo', { policy: 'twap', flattenPolicy: 'immediate' }, log)
 */
export function restoredExecutionState(storedBook: unknown, strategy: string, policies: ExecutionPolicyNames, log: Logger): ExecutionSnapshot | undefined {
  if (typeof storedBook !== 'object' || storedBook === null || !('execution' in storedBook)) return undefined;
  const parsed = ExecutionSnapshotSchema.safeParse(storedBook.execution);
  if (!parsed.success) {
    log.error({ issues: parsed.error.issues.slice(0, 3) }, "execution's state stored with the risk book is not valid: execution starts without parents (the next intent opens one afresh)");
    return undefined;
  }
  const s = parsed.data;
  if (s.strategy !== strategy) {
    log.warn({ stored: s.strategy, strategy }, `execution's state stored with the risk book is strategy ${s.strategy}'s, not ${strategy}'s: execution starts without parents`);
    return undefined;
  }
  const assets = s.assets.map((a) => {
    const p = a.parent;
    if (p === null) return a;
    const asset = `${a.venue}|${a.symbol}`;
    const now = p.flatten ? policies.flattenPolicy : policies.policy;
    if (p.policy !== now) {
      log.warn(
        { asset, parent: p.id, planned: p.policy, configured: now, sent: p.next, children: p.plan.length },
        `parent ${p.id} of ${asset} was under way at the stop (${p.next} of ${p.plan.length} children sent) but was planned by ${p.policy}, not ${now} as configured now: it is dropped, and the next intent opens one afresh`,
      );
      return { ...a, parent: null };
    }
    log.info(
      { asset, parent: p.id, policy: p.policy, side: p.side, qty: p.qty, sent: p.next, children: p.plan.length, nextAt: p.plan[p.next]?.atTs, lastAt: p.plan[p.plan.length - 1]?.atTs },
      `parent ${p.id} of ${asset} goes on after the restart: ${p.next} of ${p.plan.length} children sent, the rest fall due as planned`,
    );
    return a;
  });
  return { ...s, assets };
}
