import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { FLATTEN_SOURCE } from '../../models/execution/execution-core.js';
import type { Fill } from '../../streams/messages/fill.js';
import { orderId } from '../../streams/messages/order.js';
import { testDataDir } from '../support/data-dir.js';

const HOUR = 3_600_000;
const FROM = Date.UTC(2022, 4, 1);
const TO = Date.UTC(2022, 4, 12);

/** The open of `symbol`'s 1h bar opened at `ts`, from the data the backtest replays. */
async function openAt(symbol: string, ts: number): Promise<number> {
  const [file] = findBarFiles(testDataDir(), { symbols: [symbol], timeframe: '1h' });
  for await (const b of readBars(file?.path ?? '', { venue: 'binance', symbol, tf: '1h', from: ts, to: ts + HOUR })) if (b.ts === ts) return b.open;
  throw new Error(`no ${symbol} bar at ${new Date(ts).toISOString()}`);
}

describe('backtest: the closes of a flatten on a breach', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-flat-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fill every symbol at prices from after the breach was known, also the symbol whose bar of the breach's time comes after the one that marked it", async () => {
    // BTC and ETH, May 2022, a drawdown limit of 100: BTC's bar of 2022-05-09 10:00 marks the breach
    // (known at its close, 11:00); ETH's bar of 10:00 is decided after it (ties by symbol). ETH's
    // close was sent at BTC's bar and filled at the open of ETH's bar of 10:00 (2445.66, an hour
    // before the breach could be known; ETH fell to 2377.6 in that hour).
    const configFile = join(dir, 'tight.yaml');
    writeFileSync(configFile, 'risk:\n  limits:\n    maxDrawdown: 100\n    onBreach: flatten\nexecution:\n  flattenWith: immediate\n');
    let fills: readonly Fill[] = [];
    let signals: readonly string[] = [];
    const report = await runBacktest({
      configFile,
      data: testDataDir(),
      symbols: ['BTC/USDT', 'ETH/USDT'],
      timeframe: '1h',
      from: FROM,
      to: TO,
      report: join(dir, 'report'),
      capital: 10_000,
      onEquity: (_equity, _trades, f) => void (fills = f),
      onSignals: (m) => void (signals = m),
    });
    const breach = report.risk.transitions.find((t) => t.state === 'REDUCING');
    expect(breach?.reason).toMatch(/^DRAWDOWN: .*; flattening$/);
    const known = Date.parse(breach?.at ?? '');
    expect(known).toBe(Date.UTC(2022, 4, 9, 11));

    const closes = new Set(
      signals
        .filter((m) => m.split(' ', 1)[0]?.includes('.suggest.'))
        .map((m) => JSON.parse(m.slice(m.indexOf(' ') + 1)) as { id: string; source: string })
        .filter((s) => s.source === FLATTEN_SOURCE)
        .map((s) => orderId(s.id)),
    );
    const closed = fills.filter((f) => closes.has(f.orderId));
    expect(closed.map((f) => f.symbol).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    for (const f of closed) {
      // On the symbol's first bar opened once the breach was known, at its open (± spread and impact) ...
      expect(f.ts).toBe(known);
      const after = await openAt(f.symbol, known);
      const before = await openAt(f.symbol, known - HOUR);
      expect(Math.abs(f.price / after - 1)).toBeLessThan(0.002);
      // ... not at the open of its bar of the breach's own time, a price from before the breach was known.
      expect(Math.abs(f.price / before - 1)).toBeGreaterThan(0.01);
    }
  }, 120_000);
});
