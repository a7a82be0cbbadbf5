import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { ExpirySchema } from '../../streams/messages/expiry.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import { testDataDir } from '../support/data-dir.js';

const HOUR = 3_600_000;
const FILE = join('ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv');

/**
 * Issue 4 item 6 end to end: the data has holes, and an order working when its symbol's data
 * breaks off must not fill on the first price after the hole. The same window twice: on the real
 * bars, then with a two-bar hole cut where the first fill happened. The order that filled there
 * is cancelled at the gap instead (the paper venue's `maxGapMs`, 1.5 bars in a backtest), counted
 * in the report, and nothing decided before the hole changes.
 */
describe('backtest: no fills across a data gap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-gap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cancels the order working at a hole instead of filling it after the hole, and reports it', async () => {
    const from = Date.UTC(2023, 0, 1);
    const to = Date.UTC(2023, 0, 15);
    // One TWAP slice: a child works the prediction's whole horizon (4 bars), longer than the hole
    // below, so only the gap rule keeps it from filling after the hole (a one-bar child would
    // simply expire in it).
    const configFile = join(dir, 'one-slice.yaml');
    writeFileSync(configFile, 'execution:\n  slices: 1\n');
    const run = async (data: string, name: string): Promise<{ fills: Fill[]; counts: Readonly<Record<string, unknown>>; gaps: readonly { symbol: string; missingBars: number }[]; expiries: Expiry[] }> => {
      let fills: Fill[] = [];
      let signals: readonly string[] = [];
      const r = await runBacktest({ configFile, data, symbols: ['BTC/USDT'], timeframe: '1h', from, to, capital: 10_000, report: join(dir, name), onEquity: (_e, _t, f) => void (fills = [...f]), onSignals: (m) => void (signals = m) });
      // `<prefix>.exec.expired.binance.BTC-USDT {…}`: what the paper venue stopped working, on the bus.
      const expiries = signals.filter((l) => l.slice(0, l.indexOf(' ')).split('.')[2] === 'expired').map((l) => ExpirySchema.parse(JSON.parse(l.slice(l.indexOf(' ') + 1))));
      return { fills, counts: r.counts, gaps: r.gaps, expiries };
    };

    const whole = await run(testDataDir(), 'whole');
    expect(whole.counts['expiredAtGap']).toBe(0);
    expect(whole.gaps).toEqual([]);
    const first = whole.fills[0];
    if (first === undefined) throw new Error('the window has no fill to cut a hole under');

    // The bar the first fill happened on and the next, gone: the data resumes 3 h after the last bar.
    const holeFrom = Math.floor(first.ts / HOUR) * HOUR;
    const holeTo = holeFrom + 2 * HOUR;
    const cutDir = join(dir, 'data');
    mkdirSync(join(cutDir, 'ohlcv', 'binance_spot_1h'), { recursive: true });
    const lines = readFileSync(join(testDataDir(), FILE), 'utf8').split('\n');
    const kept = lines.filter((l, i) => {
      if (i === 0) return true;
      const ts = Number(l.slice(0, l.indexOf(',')));
      return !(ts >= holeFrom && ts < holeTo);
    });
    expect(lines.length - kept.length).toBe(2);
    writeFileSync(join(cutDir, FILE), kept.join('\n'));

    const cut = await run(cutDir, 'cut');
    expect(cut.gaps).toEqual([expect.objectContaining({ symbol: 'BTC/USDT', missingBars: 2 })]);
    expect(cut.counts['expiredAtGap']).toBeGreaterThanOrEqual(1);
    // Each expiry is published once (exec.expired, id e:<order id>), reason `gap` for those cancelled at the hole, stamped when the data resumed (the venue learns of the hole then).
    expect(cut.expiries.length).toBe(cut.counts['expired']);
    expect(new Set(cut.expiries.map((e) => e.id)).size).toBe(cut.expiries.length);
    expect(cut.expiries.filter((e) => e.reason === 'gap').length).toBe(cut.counts['expiredAtGap']);
    expect(cut.expiries.filter((e) => e.reason === 'gap').every((e) => e.ts === holeTo && e.remainingQty > 0)).toBe(true);
    expect(whole.expiries.every((e) => e.reason === 'ttl')).toBe(true);
    // The order that filled on the first missing bar did not fill on the first bar after the hole.
    expect(cut.fills.filter((f) => f.orderId === first.orderId)).toEqual([]);
    // Nothing before the hole changed.
    expect(cut.fills.filter((f) => f.ts < holeFrom)).toEqual(whole.fills.filter((f) => f.ts < holeFrom));
  }, 240_000);
});
