import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorOf } from '../support/error-of.js';
import { createPaperVenue } from '../../actors/paper-venue.js';
import { runBacktest } from '../../cli/commands/backtest.js';
import { parseBacktestSpec } from '../../cli/commands/backtest-spec.js';
import { loadConfig } from '../../config/load.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import { createPortfolio } from '../../models/backtest/portfolio.js';
import { MAX_REBATE_BPS } from '../../models/execution/fee-limit.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import type { Fill } from '../../streams/messages/fill.js';
import { FillSchema } from '../../streams/messages/fill.js';
import { testDataDir } from '../support/data-dir.js';
import { bar, order } from './fixtures.js';

const OPTS: PaperVenueOptions = { venue: 'paper', takerFeeBps: 10, makerFeeBps: -1, spreadBps: 10, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 };
const B0 = bar(0, 100, 100.5, 99.5, 100, 1_000, 'paper');
const B1 = bar(60_000, 100, 101.2, 99.8, 101, 1_000, 'paper');
const B2 = bar(120_000, 101, 102, 100.5, 101.5, 400, 'paper');
const B3 = bar(180_000, 101.4, 101.6, 100.9, 101, 300, 'paper');
const B4 = bar(240_000, 100.9, 101, 100.5, 100.7, 300, 'paper');

// A venue that pays makers a rebate is set up with a negative maker fee: -1 bps was refused by
// the config, a backtest spec and the paper venue, so a maker strategy could not be costed.
describe('a negative maker fee (a rebate) in the paper venue and the backtest', () => {
  it('is accepted down to −100 bps (a rebate of 1 % of the notional) and refused past it, naming the key', () => {
    expect(MAX_REBATE_BPS).toBe(100);
    expect(loadConfig({ env: {}, overrides: { paperVenue: { makerFeeBps: -1 } } }).paperVenue.makerFeeBps).toBe(-1);
    expect(errorOf(() => loadConfig({ env: {}, overrides: { paperVenue: { makerFeeBps: -101 } } }))).toMatch(/paperVenue\.makerFeeBps.*at least −100 bps \(a rebate of at most 1 % of the notional\)/);
    expect(parseBacktestSpec({ costs: { makerFeeBps: -1 } }, 'x.yaml').costs?.makerFeeBps).toBe(-1);
    expect(errorOf(() => parseBacktestSpec({ costs: { makerFeeBps: -101 } }, 'x.yaml'))).toMatch(/^x\.yaml: costs\.makerFeeBps: at least −100 bps/);
    // A taker pays: no rebate there.
    expect(errorOf(() => parseBacktestSpec({ costs: { takerFeeBps: -1 } }, 'x.yaml'))).toMatch(/costs\.takerFeeBps/);
    expect(() => createPaperVenue({ ...OPTS, makerFeeBps: -100 })).not.toThrow();
    expect(() => createPaperVenue({ ...OPTS, makerFeeBps: -101 })).toThrow(/makerFeeBps out of range: -101/);
    expect(() => createPaperVenue({ ...OPTS, takerFeeBps: -1 })).toThrow(/takerFeeBps out of range: -1/);
  });

  it('pays a maker fill the rebate (a valid fill), the taker its fee, and fees paid are net of the rebate', () => {
    const v = createPaperVenue(OPTS);
    for (const b of [B0, B1, B2]) expect(v.onMarket(b).fills).toEqual([]);
    v.onOrder(order('o:l', 120_000, { orderType: 'limit', limitPrice: 100.6 }), 120_000);
    expect(v.onMarket(B3).fills).toEqual([]);
    const fills: Fill[] = [...v.onMarket(B4).fills];
    v.onOrder(order('o:m', 240_000, { side: 'sell' }), 240_000);
    fills.push(...v.onMarket(bar(300_000, 100.7, 101, 100.5, 100.8, 300, 'paper')).fills);
    expect(fills.map((f) => [f.liquidity, FillSchema.safeParse(f).success])).toEqual([['maker', true], ['taker', true]]);
    const [maker, taker] = fills as [Fill, Fill];
    expect(maker.fee).toBeCloseTo(-(10 * 100.6 * 1) / 1e4, 10); // a rebate of 0.1006
    expect(taker.fee).toBeGreaterThan(0);
    const p = createPortfolio(10_000);
    for (const f of fills) p.apply(f);
    expect(p.feesPaid()).toBeCloseTo(maker.fee + taker.fee, 10);
    // The rebate is cash: the round trip ends with what it made, + 0.1006, − the taker's fee.
    expect(p.cash()).toBeCloseTo(10_000 + 10 * (taker.price - 100.6) - maker.fee - taker.fee, 8);
    const m = performanceMetrics({ startTs: 0, startingCapital: 10_000, equity: [{ ts: 360_000, equity: p.cash() }], grossExposure: [0], trades: [], feesPaid: maker.fee, tradedNotional: 1006, periodsPerYear: 525_600 });
    expect(m.fees_paid).toBeCloseTo(-0.1006, 10);
  });
});

describe('a backtest with a config maker fee of −1 bps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-rebate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs with passive children (limitOffsetBps 5), its maker fills carry the rebate, and fees paid are net of it', async () => {
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, 'paperVenue:\n  enabled: true\n  takerFeeBps: 7\n  makerFeeBps: -1\n  spreadBps: 6\n  impactCoeff: 0.5\n  maxVolumeShare: 0.05\nexecution:\n  limitOffsetBps: 5\n');
    let fills: readonly Fill[] = [];
    const report = await runBacktest({
      configFile,
      data: testDataDir(),
      symbols: ['BTC/USDT'],
      timeframe: '1h',
      from: Date.UTC(2023, 0, 1),
      to: Date.UTC(2023, 0, 15),
      report: join(dir, 'report'),
      capital: 10_000,
      onEquity: (_e, _t, f) => {
        fills = f;
      },
    });
    const makers = fills.filter((f) => f.liquidity === 'maker');
    expect(makers.length).toBeGreaterThan(0);
    for (const f of makers) expect(f.fee).toBeCloseTo(-(f.qty * f.price) / 1e4, 10);
    const makerFees = makers.reduce((s, f) => s + f.fee, 0);
    const takerFees = fills.filter((f) => f.liquidity === 'taker').reduce((s, f) => s + f.fee, 0);
    expect(makerFees).toBeLessThan(0);
    expect(report.metrics.fees_paid).toBeCloseTo(makerFees + takerFees, 8);
  }, 120_000);
});
