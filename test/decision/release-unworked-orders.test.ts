import { describe, expect, it } from 'vitest';
import { releaseUnworkedOrders, restoredPaperVenue } from '../../cli/restored-paper-venue.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { silentLogger } from '../../state/logger.js';
import type { Logger } from '../../state/logger.js';
import { bookWithOrders } from '../support/approved-orders.js';

const T = Date.UTC(2024, 0, 2);

describe('the orders in flight no paper venue works after a restart (cli/restored-paper-venue.ts)', () => {
  const stored = bookWithOrders([
    { id: 'o:paper', venue: 'binance', symbol: 'BTC/USDT', side: 'sell', qty: 0.01, strategy: 's', expiresAt: T + 7_200_000 },
    { id: 'o:elsewhere', venue: 'kraken', symbol: 'BTC/USDT', side: 'buy', qty: 0.02, strategy: 's', expiresAt: T + 7_200_000 },
  ]);
  const book = { ...stored, book: { ...stored.book, marks: [['binance|BTC/USDT', { mid: 42_000, ts: T }], ['kraken|BTC/USDT', { mid: 42_010, ts: T - 60_000 }]] as [string, { mid: number; ts: number }][] } };

  it("releases the venue's own at the book's newest mark, leaves other venues' orders, and returns the halt a flattening account now flat makes", () => {
    const core = createRiskCore({ account: 'a', book, trading: { state: 'REDUCING', reason: 'flatten', scopedHalts: [], flattening: true, seq: 3 } });
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (f, m) => void warnings.push(`${m} ${JSON.stringify(f)}`), child: () => log };
    const out = releaseUnworkedOrders(core, book, 'binance', log);
    expect(out.released).toEqual(['o:paper']);
    expect(core.bookSnapshot().book.inFlight.map((o) => o.orderId)).toEqual(['o:elsewhere']);
    expect(core.bookSnapshot().book.retired).toEqual([expect.objectContaining({ orderId: 'o:paper', retiredAt: T })]);
    // Still one in flight at kraken: not flat yet, no halt.
    expect(out.states).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('o:paper');
    expect(warnings[0]).toContain('stored without the venue');
    // The other venue's too: flat now, the flattening account halts (returned, to be stored and announced).
    const again = releaseUnworkedOrders(core, { ...book, paperVenue: { v: 9 } }, 'kraken', log);
    expect(again.released).toEqual(['o:elsewhere']);
    expect(again.states.map((s) => s.state)).toEqual(['HALTED']);
    expect(warnings[1]).toContain('not valid');
  });

  it('does nothing and says nothing when nothing is in flight at the venue', () => {
    const core = createRiskCore({ account: 'a', book });
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (_f, m) => void warnings.push(m), child: () => log };
    expect(releaseUnworkedOrders(core, book, 'bybit', log)).toEqual({ released: [], states: [] });
    expect(warnings).toEqual([]);
    expect(core.bookSnapshot().book.inFlight).toHaveLength(2);
  });

  it("says why a venue part is left out, and that the orders in flight for it are released", () => {
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (_f, m) => void errors.push(m), child: () => log };
    expect(restoredPaperVenue({ ...book, paperVenue: { v: 2, working: 'lost' } }, log)).toBeUndefined();
    expect(errors).toEqual(["the paper venue's stored working orders are not valid: the venue starts without them (the orders in flight for it are released)"]);
    expect(restoredPaperVenue(book, log)).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
