import { expect } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import { durableFor } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { FeatureStore } from '../../state/feature-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import { RejectSchema } from '../../streams/messages/reject.js';
import type { Reject } from '../../streams/messages/reject.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { readAllStored } from '../support/read-all-stored.js';

/**
 * What the crash tests of the decision path share: the asset actors' snapshots taken at one
 * moment and put back later (with their durables deleted), so a restarted engine is redelivered
 * and decides again every bar after them; and what the streams and the risk book hold after.
 */

/** Each asset actor's stored snapshot now. */
export async function assetSnapshots(cfg: Config, features: FeatureStore) {
  return Promise.all(
    cfg.assets.map(async (a) => {
      const snap = await features.loadSnapshot(assetActorKey(a));
      if (snap === undefined) throw new Error(`no snapshot of ${assetActorKey(a)}`);
      return [assetActorKey(a), snap] as const;
    }),
  );
}

/** The asset actors' snapshots back to `snaps` and their durables deleted: a restarted engine is redelivered every bar after them. */
export async function rewindAssets(bus: Bus, cfg: Config, features: FeatureStore, snaps: Awaited<ReturnType<typeof assetSnapshots>>): Promise<void> {
  await features.writeBatch([], snaps);
  for (const a of cfg.assets) {
    // A consumption that just stopped may still count as active for a moment: deleted once it is not.
    await expect.poll(async () => {
      await bus.deleteConsumer(streamName(cfg, 'MD'), durableFor(a));
      return bus.consumerInfo(streamName(cfg, 'MD'), durableFor(a));
    }).toBeUndefined();
  }
}

/** Every reject stored in SIGNALS for `symbols`. */
export async function storedRejects(bus: Bus, cfg: Config, symbols: readonly string[]): Promise<Reject[]> {
  const subjects = subjectsFor(cfg.prefix);
  const out: Reject[] = [];
  for (const sym of symbols) {
    for (const m of await readAllStored(bus, streamName(cfg, 'SIGNALS'), subjects.reject(cfg.strategy.name, cfg.venue, sym))) out.push(RejectSchema.parse(JSON.parse(decodeText(m.data))));
  }
  return out;
}

/** What the risk book holds: each position's quantity and the orders in flight. */
export const held = (engine: Engine): unknown => {
  const st = engine.decisions?.risk.status();
  return { positions: (st?.positions ?? []).map((p) => [p.symbol, p.qty]), inFlight: (st?.inFlight ?? []).map((o) => o.orderId).sort() };
};

/**
 * The risk store back to `row`, a row loaded before the crash: the trading state, limits and book
 * stored then and nothing since (a write that had not landed). A row without a book is refused.
 */
export async function restoreRow(riskStore: RiskStore, account: string, row: Awaited<ReturnType<RiskStore['load']>>): Promise<void> {
  if (row.book === undefined) throw new Error('no book stored');
  await riskStore.clear(account);
  await riskStore.saveLimits(account, row.limits, 0);
  await riskStore.saveTrading(account, row.trading, 0);
  await riskStore.saveBook(account, row.book, 0);
}
