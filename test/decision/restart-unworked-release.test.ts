import { describe, expect, it } from 'vitest';
import type { TradingSnapshot } from '../../models/risk/risk-core.js';
import { bookKey } from '../../models/risk/risk-book.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { decodeText } from '../../streams/codec.js';
import { subjectsFor } from '../../streams/subjects.js';
import { restoreRow } from './crash-rewind.js';
import { busFor, restartStores, runBetween, startLive } from './engine-restart.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

const SYMBOLS = ['BTC/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const T1 = Date.UTC(2024, 0, 5);

type Row = Awaited<ReturnType<RiskStore['load']>>;
type StoredBook = Record<string, unknown> & { book: Record<string, unknown>; decided: [string, number, number][] };

/**
 * The orders the restored book holds in flight at the paper venue, which no venue works after the
 * restart (a book stored without the venue's part), are released at start and the book stored at
 * once (cli/decisions.ts). That release is a change this run makes; an operator's change stored
 * after the restored book (pending) was made by the first run. When the release changes the
 * trading state (a flattening account now flat halts) it took the next change number after the
 * book's, the number the pending change already holds: the write after it counted the pending
 * change as covered by the book, and a crash right after that write lost it (a symbol halt gone; an
 * account halt's operator reason replaced by the release's), and the same risk.state id was
 * announced for two different states.
 */
describe('an operator change pending at start, and the orders no venue works released at start (crash right after that write)', () => {
  it.each<[string, (base: TradingSnapshot) => TradingSnapshot]>([
    ['a symbol halt', (b) => ({ ...b, scopedHalts: [{ scope: 'symbol', value: 'BTC/USDT', reason: 'operator: BTC' }], seq: b.seq + 1 })],
    ['an account halt', (b) => ({ ...b, state: 'HALTED', reason: 'operator: all', flattening: false, seq: b.seq + 1 })],
  ])('%s stored after the book is still in force after the crash, and no change number is used twice', async (_, command) => {
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const cfg = isolatedConfig(SYMBOLS);
    const riskStore = createMemoryRiskStore();
    const stores = restartStores(await busFor(cfg), registry, riskStore);
    await runBetween(cfg, stores, SYMBOLS, FROM, T1);
    const account = cfg.risk.account;

    // The row a crash left: a book stored without the paper venue's part (an upgrade), the account
    // flattening with its close in flight and nothing else held; an operator's change stored after
    // it, pending at a point one event past the book's marks (a quiet market since: not reached).
    const row = await riskStore.load(account);
    const { paperVenue: _venue, execution: _execution, ...stored } = row.book as StoredBook;
    const flattening: TradingSnapshot = { state: 'REDUCING', reason: 'flatten', scopedHalts: [], flattening: true, seq: 1 };
    const close = { orderId: 'o:close', key: bookKey(cfg.venue, 'BTC/USDT'), side: 'sell', remaining: 0.01, expiresAt: T1 + 86_400_000, strategy: cfg.strategy.name, qty: 0.01 };
    await riskStore.saveBook(account, { ...stored, book: { ...stored.book, positions: [], inFlight: [close] }, trading: flattening }, 0);
    const change = command(flattening);
    const at = stored.decided.map(([asset, seq, ts]) => [asset, seq + 1, ts]);
    await riskStore.saveTrading(account, { ...change, pending: [{ at, trading: change }] }, 0);

    // The restart: the release's write is the first book written; the crash comes right after it.
    let crashed: Row | undefined;
    const recording: RiskStore = {
      ...riskStore,
      saveBook: async (a, book, now) => {
        await riskStore.saveBook(a, book, now);
        crashed ??= await riskStore.load(a);
      },
    };
    const announced: { id: string; state: string; reason: string }[] = [];
    const sub = stores.bus.subscribe(subjectsFor(cfg.prefix).riskState(), (_s, data) => {
      const m = JSON.parse(decodeText(data)) as { id: string; state: string; reason: string };
      announced.push({ id: m.id, state: m.state, reason: m.reason });
    });
    const restarted = await startLive(cfg, { ...stores, riskStore: recording });
    try {
      expect(restarted.decisions?.risk.status().inFlight).toEqual([]);
    } finally {
      await restarted.stop();
    }
    sub.unsubscribe();
    // Each change announced has an id of its own: the operator's change keeps the one the first run gave it.
    const ids = announced.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(announced.find((a) => a.id === `rs:${account}:${change.seq}`)).toMatchObject({ state: change.state, reason: change.reason });
    if (crashed === undefined) throw new Error('no book written at start');

    await restoreRow(riskStore, account, crashed);
    const again = await startLive(cfg, stores);
    try {
      const st = again.decisions?.risk.status();
      // Flat now, so halted (the release's halt), with the operator's change kept.
      expect(st?.state).toBe('HALTED');
      expect(st?.scopedHalts).toEqual(change.scopedHalts);
      if (change.state === 'HALTED') expect(st?.reason).toBe(change.reason);
    } finally {
      await again.stop();
    }
  }, 120_000);
});
