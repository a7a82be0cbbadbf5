import { describe, expect, it } from 'vitest';
import type { RiskStore } from '../../state/risk-store.js';

/** What every RiskStore adapter must do; run against memory and PostgreSQL. */
export function riskStoreContract(name: string, open: () => Promise<RiskStore>): void {
  describe(`RiskStore contract: ${name}`, () => {
    it('loads nothing for an unknown account, then each part as saved, the last save winning', async () => {
      const s = await open();
      try {
        const acc = `acc-${Math.floor(Math.random() * 1e9)}`;
        expect(await s.load(acc)).toEqual({});
        await s.saveLimits(acc, { maxOrderNotional: 1, allowlist: ['BTC/USDT'] }, 1_000);
        expect(await s.load(acc)).toEqual({ limits: { maxOrderNotional: 1, allowlist: ['BTC/USDT'] } });
        await s.saveTrading(acc, { state: 'HALTED', reason: 'r', scopedHalts: [], seq: 1 }, 1_001);
        await s.saveTrading(acc, { state: 'REDUCING', reason: 'r2', scopedHalts: [{ scope: 'symbol', value: 'ETH/USDT', reason: 'x' }], seq: 2 }, 1_002);
        const book = { book: { positions: [{ qty: 0.1 + 0.2, avgCost: 1e-7 }] }, seen: [] };
        await s.saveBook(acc, book, 1_003);
        expect(await s.load(acc)).toEqual({
          limits: { maxOrderNotional: 1, allowlist: ['BTC/USDT'] },
          trading: { state: 'REDUCING', reason: 'r2', scopedHalts: [{ scope: 'symbol', value: 'ETH/USDT', reason: 'x' }], seq: 2 },
          book, // doubles come back bit-identical
        });
        expect(await s.load(`${acc}-other`)).toEqual({});
      } finally {
        await s.close();
      }
    });

    it('never replaces a trading state with an older one (lower seq): two writers race, the newest state stays', async () => {
      const s = await open();
      try {
        const acc = `seq-${Math.floor(Math.random() * 1e9)}`;
        await s.saveTrading(acc, { state: 'HALTED', reason: 'desk says stop', scopedHalts: [], seq: 4 }, 2_000);
        // A write of the state before the halt, landing after it (the decision path's deferred write).
        await s.saveTrading(acc, { state: 'ACTIVE', reason: 'resumed', scopedHalts: [], seq: 3 }, 1_999);
        expect((await s.load(acc)).trading).toEqual({ state: 'HALTED', reason: 'desk says stop', scopedHalts: [], seq: 4 });
        // The same state again (a retried write) and newer ones are stored.
        await s.saveTrading(acc, { state: 'HALTED', reason: 'desk says stop', scopedHalts: [], seq: 4 }, 2_001);
        await s.saveTrading(acc, { state: 'ACTIVE', reason: 'all clear', scopedHalts: [], seq: 5 }, 2_002);
        expect((await s.load(acc)).trading).toEqual({ state: 'ACTIVE', reason: 'all clear', scopedHalts: [], seq: 5 });
      } finally {
        await s.close();
      }
    });

    it('clears one account and leaves the others', async () => {
      const s = await open();
      try {
        await s.saveLimits('clear-a', { allowlist: [] }, 1);
        await s.saveTrading('clear-a', { state: 'HALTED', reason: 'x', scopedHalts: [], seq: 1 }, 1);
        await s.saveBook('clear-a', { book: {}, seen: [] }, 1);
        await s.saveLimits('clear-b', { allowlist: ['BTC/USDT'] }, 1);
        await s.clear('clear-a');
        expect(await s.load('clear-a')).toEqual({});
        expect(await s.load('clear-b')).toEqual({ limits: { allowlist: ['BTC/USDT'] } });
      } finally {
        await s.close();
      }
    });

    it('keeps what the caller mutates after saving out of the store', async () => {
      const s = await open();
      try {
        const limits = { allowlist: ['BTC/USDT'] };
        await s.saveLimits('mut', limits, 1);
        limits.allowlist.push('DOGE/USDT');
        expect((await s.load('mut')).limits).toEqual({ allowlist: ['BTC/USDT'] });
      } finally {
        await s.close();
      }
    });
  });
}
