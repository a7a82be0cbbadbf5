import { describe, expect, it } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { TradingSnapshot } from '../../models/risk/risk-core.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { askControl } from '../control/control-world.js';
import { busFor, restartStores, runBetween, startLive } from './engine-restart.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const T1 = Date.UTC(2024, 0, 5);
const HOUR = 3_600_000;

type StoredBook = Record<string, unknown> & { trading: TradingSnapshot; decided: [string, number, number][] };

/** The account's state as `sextant ctl status` reports it (the control server, over the bus). */
async function ctlState(bus: Parameters<typeof askControl>[0], prefix: string): Promise<unknown> {
  const { reply } = await askControl(bus, 'status', {}, undefined, subjectsFor(prefix));
  if (!reply.ok) throw new Error(reply.error.message);
  const risk = (reply.result as { risk: { state: string; reason: string } | null }).risk;
  return risk === null ? null : { state: risk.state, reason: risk.reason };
}

/**
 * An operator's halt stored after the last risk-book write, at a point of ETH the book does not
 * reach (the first run decided ETH further before the halt, then crashed), and the market-data
 * stream rebuilt between the runs (its data gone, sequences started again) with nothing new since:
 * no event of ETH comes back to reach that point, and none is new. The change waited for one, so
 * the restarted engine decided nothing but showed ACTIVE in `ctl status` until market data or a
 * command came. Now the engine sees that ETH's consumer has nothing left to deliver
 * (cli/quiet-stream-check.ts) and the halt is in force within about a second.
 */
describe('an operator change pending after a restart, waiting for events of a stream rebuilt since and quiet', () => {
  it('is in force, and ctl status says so, without new market data', async () => {
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const cfg = isolatedConfig(SYMBOLS);
    const riskStore = createMemoryRiskStore();
    const stores = restartStores(await busFor(cfg), registry, riskStore);
    await runBetween(cfg, stores, SYMBOLS, FROM, T1);
    const account = cfg.risk.account;

    const book = (await riskStore.load(account)).book as StoredBook;
    const eth = assetActorKey({ venue: cfg.venue, symbol: 'ETH/USDT' });
    expect(book.decided.map(([a]) => a)).toContain(eth);
    const at = book.decided.map(([a, seq, ts]) => (a === eth ? [a, seq + 2, ts + HOUR] : [a, seq, ts]));
    const halt: TradingSnapshot = { ...book.trading, state: 'HALTED', reason: 'operator: quiet market', seq: book.trading.seq + 1 };
    await riskStore.saveTrading(account, { ...halt, pending: [{ at, trading: halt }] }, 0);
    await stores.bus.deleteStreams([streamName(cfg, 'MD')]);
    await stores.bus.ensureStreams(streamSpecs(cfg));

    const engine = await startLive(cfg, stores);
    try {
      await expect.poll(() => ctlState(stores.bus, cfg.prefix), { timeout: 8_000, interval: 200 }).toEqual({ state: 'HALTED', reason: halt.reason });
      expect(engine.counters.messagesIn).toBe(0); // no market data came
      expect(engine.decisions?.path.awaitedAssets()).toEqual([]);
    } finally {
      await engine.stop();
    }
  }, 120_000);
});
