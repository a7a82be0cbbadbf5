import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import type { BacktestReportCurves } from '../../gateways/report/backtest-report.js';
import { PerformanceMetricsSchema } from '../../models/backtest/performance-metrics.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { ClosedTrade } from '../../models/backtest/trade-stats.js';
import { testDataDir } from '../support/data-dir.js';
import { positionsOf } from '../../models/backtest/positions.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';

describe('sextant backtest (the engine on the in-memory bus, simulated clock, paper venue)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes report.json with the strategy metrics and both baselines, and a self-contained report.html', async () => {
    const from = Date.UTC(2023, 0, 1);
    const to = Date.UTC(2023, 2, 1);
    let equity: readonly Readonly<{ ts: number; equity: number }>[] = [];
    let fills: readonly Fill[] = [];
    let trades: readonly ClosedTrade[] = [];
    // The progress a user sees (a bar with events/s; a line at a time when not on a terminal).
    let progress = '';
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => (progress += d.toString('utf8')));
    const report = await runBacktest({ data: testDataDir(), symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', from, to, report: dir, capital: 10_000, progress: sink, onEquity: (e, t, f) => ((equity = e), (trades = t), (fills = f)) });
    const bars = [...progress.matchAll(/\| (\d+) events \| (\d+) events\/s/g)];
    expect(bars.length).toBeGreaterThan(0);
    expect(Number(bars.at(-1)?.[1])).toBe(report.run.events); // the last line: every event decided
    expect(Number(bars.at(-1)?.[2])).toBeGreaterThan(0);
    expect(progress).toContain(`wrote ${join(dir, 'report.json')}`);
    const { curves, ...json } = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as typeof report & BacktestReportCurves;
    // Then the curves the metrics come from, the strategy's from the capital at the window's start.
    expect(curves['strategy']).toEqual({ sampled: false, ts: [from, ...equity.map((p) => p.ts)], equity: [10_000, ...equity.map((p) => p.equity)] });
    expect(Object.keys(curves)).toEqual(['strategy', 'buy_and_hold', 'grid']);

    // The accounting through the actors, recomputed from the fills and the data: the final equity is
    // the capital, plus what the fills sold, less what they bought and their fees, plus what is held
    // at each symbol's last close in the window.
    let cash = 10_000;
    for (const f of fills) cash += (f.side === 'sell' ? 1 : -1) * f.qty * f.price - f.fee;
    let held = 0;
    for (const p of positionsOf(fills).open) {
      const [file] = findBarFiles(testDataDir(), { symbols: [p.symbol], timeframe: '1h' });
      let last = Number.NaN;
      for await (const b of readBars(file?.path ?? '', { venue: 'binance', symbol: p.symbol, tf: '1h', from, to })) last = b.close;
      held += p.qty * last;
    }
    expect(fills.length).toBeGreaterThan(0);
    expect(equity.at(-1)?.equity).toBeCloseTo(cash + held, 6);
    expect(json.positions).toEqual(positionsOf(fills).open);
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    for (const m of [json.metrics, json.baselines.buy_and_hold, json.baselines.grid]) {
      const parsed = PerformanceMetricsSchema.parse(m);
      expect(Number.isFinite(parsed.total_return)).toBe(true);
      expect(parsed.max_drawdown).toBeGreaterThanOrEqual(0);
      expect(parsed.periods).toBe(59 * 24);
    }
    // Early 2023 rallied: holding both coins made money, with fees paid once.
    expect(json.baselines.buy_and_hold.total_return).toBeGreaterThan(0.2);
    // The 200 bars before the window warm the features: every bar of the window is scored; orders and fills happen on the way.
    expect(json.counts['predictions']).toBe(2 * 59 * 24);
    expect(json.counts['bars']).toBe(2 * 59 * 24); // the warm-up bars are not the window's
    expect(json.counts['fills']).toBeGreaterThan(0);
    expect(json.metrics.fees_paid).toBeGreaterThan(0);
    expect(json.model.trainRange.to < json.window.from).toBe(true);

    // Every trading-state change the risk actor announced is listed, as many as it counted.
    expect(json.risk.transitions).toHaveLength(json.counts['riskStateChanges'] as number);
    // The state at the end (the risk actor's own) is where the announced changes led.
    expect(json.risk.finalState).toBe(json.risk.transitions.at(-1)?.state ?? 'ACTIVE');

    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Risk state</h2>');
    expect(html).toContain('<h2>Positions</h2>');
    // A row per closed trade (the first 500), each with its symbol and pnl as the trade list has them.
    const tbody = html.match(/<table class="trades">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/)?.[1] ?? '';
    const tradeRows = [...tbody.matchAll(/<tr>(.*?)<\/tr>/g)].map((r) => [...(r[1] ?? '').matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]));
    expect(trades.length).toBeGreaterThan(0);
    expect(tradeRows).toHaveLength(Math.min(trades.length, 500));
    // The P&L cell is money in the quote currency ('12.35 USDT', 52294c1).
    expect(tradeRows.map((r) => [r[0], r[1], r[7]])).toEqual(trades.slice(0, 500).map((t) => [t.symbol, t.side, `${t.pnl.toFixed(2)} USDT`]));
    // The positions open at the end are what the fills net to.
    for (const p of json.positions) expect(Math.abs(p.qty)).toBeGreaterThan(0);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // opens without a server or the network
    for (const s of ['strategy', 'buy and hold', 'grid']) expect(html).toContain(`data-series="${s}"`);
    expect(html).toContain('Drawdown of the strategy');
    expect(html).toMatch(/<td>total return<\/td>(<td>[^<]+<\/td>){3}/);
  });

  /**
   * BTC and ETH, May and June 2022, with a drawdown limit of 0.5 % of the capital: the first losing
   * stretch trips it, and a backtest has no operator to resume it. `onBreach` as given, or the
   * shipped config's when left out. Its report, fills and SIGNALS messages.
   */
  const HOUR = 3_600_000;
  const tightBacktest = async (name: string, onBreach?: 'halt' | 'flatten', flattenWith?: 'immediate' | 'policy') => {
    const configFile = join(dir, `${name}.yaml`);
    const execution = flattenWith === undefined ? '' : `execution:\n  flattenWith: ${flattenWith}\n`;
    writeFileSync(configFile, `${execution}risk:\n  limits:\n    maxDrawdown: 50\n${onBreach === undefined ? '' : `    onBreach: ${onBreach}\n`}`);
    let fills: readonly Fill[] = [];
    let signals: readonly string[] = [];
    const report = await runBacktest({
      configFile,
      data: testDataDir(),
      symbols: ['BTC/USDT', 'ETH/USDT'],
      timeframe: '1h',
      from: Date.UTC(2022, 4, 1),
      to: Date.UTC(2022, 6, 1),
      report: join(dir, name),
      capital: 10_000,
      onEquity: (_equity, _trades, f) => void (fills = f),
      onSignals: (m) => void (signals = m),
    });
    return { report, fills, signals };
  };

  it('reports when a loss limit halted trading, and nothing fills after that', async () => {
    const { report, fills, signals } = await tightBacktest('halted', 'halt');
    expect(report.risk.finalState).toBe('HALTED');
    const halt = report.risk.transitions.find((t) => t.state === 'HALTED');
    expect(halt).toMatchObject({ previous: 'ACTIVE' });
    expect(halt?.reason).toMatch(/drawdown/i);
    const haltTs = Date.parse(halt?.at ?? '');
    expect(haltTs).toBeGreaterThan(Date.UTC(2022, 4, 1));
    expect(haltTs).toBeLessThan(Date.UTC(2022, 6, 1));
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.every((f) => f.ts <= haltTs)).toBe(true);
    // After the halt the strategy still wants positions, but execution proposes nothing (it reads
    // the trading state), so risk has nothing to refuse as HALTED.
    const after = (kind: string): Array<{ ts: number; intent?: unknown }> =>
      signals
        .filter((m) => m.split(' ', 1)[0]?.includes(`.${kind}.`))
        .map((m) => JSON.parse(m.slice(m.indexOf(' ') + 1)) as { ts: number; intent?: unknown })
        .filter((x) => x.ts > haltTs);
    expect(after('pred').filter((p) => p.intent !== null).length).toBeGreaterThan(0);
    expect(after('suggest')).toEqual([]);
    expect(report.counts['intentsHeld']).toBeGreaterThanOrEqual(after('pred').filter((p) => p.intent !== null).length);
    expect((report.counts['rejectsByReason'] as Record<string, number>)['HALTED'] ?? 0).toBe(0);
    const html = readFileSync(join(dir, 'halted', 'report.html'), 'utf8');
    expect(html).toContain(`HALTED from ${halt?.at}`);
    expect(html).toMatch(/<td>ACTIVE<\/td><td>HALTED<\/td>/);
    // The halt is marked on the equity, drawdown and position charts.
    expect(html.match(/<g class="marker" data-marker="HALTED \(DRAWDOWN\)">/g)).toHaveLength(3);
  });

  it('under onBreach: flatten (the shipped config), a loss limit closes the positions and then halts', async () => {
    const { report, fills, signals } = await tightBacktest('flattened');
    const [breach, flat, ...more] = report.risk.transitions;
    expect(more).toEqual([]);
    expect(breach).toMatchObject({ previous: 'ACTIVE', state: 'REDUCING' });
    expect(breach?.reason).toMatch(/^DRAWDOWN: .*; flattening$/);
    expect(flat).toMatchObject({ previous: 'REDUCING', state: 'HALTED' });
    expect(flat?.reason).toMatch(/^DRAWDOWN: .*; flattened$/);
    expect(report.risk.finalState).toBe('HALTED');
    const breachTs = Date.parse(breach?.at ?? '');
    const flatTs = Date.parse(flat?.at ?? '');
    expect(flatTs).toBeGreaterThanOrEqual(breachTs);
    // Between the breach and the halt, execution closed what was open and nothing else: every
    // suggestion came from the flattening (or an intent aimed at flat) and reduced the position.
    const positionAt = (ts: number): Map<string, number> => {
      const pos = new Map<string, number>();
      for (const f of fills) if (f.ts <= ts) pos.set(f.symbol, (pos.get(f.symbol) ?? 0) + (f.side === 'buy' ? f.qty : -f.qty));
      return pos;
    };
    const openAtBreach = [...positionAt(breachTs - 1)].filter(([, q]) => Math.abs(q) > 1e-9);
    expect(openAtBreach.length).toBeGreaterThan(0);
    // Every fill from the breach's event time on (an immediate close fills at the bar close that
    // marked the breach) closes: it sells what was long and buys back what was short.
    const closing = fills.filter((f) => f.ts >= breachTs);
    expect(closing.length).toBeGreaterThan(0);
    for (const f of closing) {
      const before = positionAt(f.ts - 1).get(f.symbol) ?? 0;
      expect(f.side).toBe(before > 0 ? 'sell' : 'buy');
    }
    expect(closing.every((f) => f.ts <= flatTs)).toBe(true);
    const suggested = signals
      .filter((m) => m.split(' ', 1)[0]?.includes('.suggest.'))
      .map((m) => JSON.parse(m.slice(m.indexOf(' ') + 1)) as { ts: number; source: string; policy: string; children: number })
      // A suggestion carries its bar's open time; the breach is marked at that bar's close.
      .filter((x) => x.ts >= breachTs - HOUR);
    expect(suggested.length).toBeGreaterThan(0);
    expect(suggested.every((x) => x.ts <= flatTs)).toBe(true);
    // The shipped `flattenWith: immediate`: each close is one marketable child, not the configured TWAP's slices.
    expect(suggested.every((x) => x.policy === 'immediate' && x.children === 1)).toBe(true);
    expect(report.counts['flattens']).toBeGreaterThan(0);
    // Flat at the end (here to the last unit; the rule allows less than the venue's least order).
    expect(report.positions).toEqual([]);
    const html = readFileSync(join(dir, 'flattened', 'report.html'), 'utf8');
    expect(html).toMatch(/<td>ACTIVE<\/td><td>REDUCING<\/td>/);
    expect(html).toMatch(/<td>REDUCING<\/td><td>HALTED<\/td>/);
  });

  it('flattenWith: policy works the closes through the configured TWAP instead, and takes longer to get flat', async () => {
    const spanOf = (r: Awaited<ReturnType<typeof tightBacktest>>['report']): { breach: number; flat: number } => {
      const [breach, flat] = r.risk.transitions;
      expect(breach?.state).toBe('REDUCING');
      expect(flat?.state).toBe('HALTED');
      return { breach: Date.parse(breach?.at ?? ''), flat: Date.parse(flat?.at ?? '') };
    };
    const slow = await tightBacktest('flattened-twap', 'flatten', 'policy');
    const fast = await tightBacktest('flattened-immediate', 'flatten', 'immediate');
    const s = spanOf(slow.report);
    const f = spanOf(fast.report);
    // Same data and limits up to the breach, so the same breach.
    expect(f.breach).toBe(s.breach);
    const twapClosing = slow.signals
      .filter((m) => m.split(' ', 1)[0]?.includes('.suggest.'))
      .map((m) => JSON.parse(m.slice(m.indexOf(' ') + 1)) as { ts: number; policy: string; children: number })
      .filter((x) => x.ts >= s.breach - HOUR);
    expect(twapClosing.length).toBeGreaterThan(0);
    // (Children under the venue's least order are merged, so some parents have fewer than the 4 slices.)
    expect(twapClosing.every((x) => x.policy === 'twap')).toBe(true);
    expect(twapClosing.some((x) => x.children > 1)).toBe(true);
    expect(f.flat - f.breach).toBeLessThan(s.flat - s.breach);
    expect(slow.report.positions).toEqual([]);
    expect(fast.report.positions).toEqual([]);
  });

  it('gives the same report twice (the engine is deterministic in a backtest too)', async () => {
    // The first test's symbols and start: its model comes from the training cache; the replay is what is compared.
    const opts = { data: testDataDir(), symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 1, 1), capital: 5_000 };
    const a = await runBacktest({ ...opts, report: join(dir, 'a') });
    const b = await runBacktest({ ...opts, report: join(dir, 'b') });
    // A run that traded: two empty runs would be equal too.
    expect(a.counts.predictions).toBeGreaterThan(0);
    expect(a.counts.fills).toBeGreaterThan(0);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.counts).toEqual(a.counts);
    expect(b.baselines).toEqual(a.baselines);
    expect(b.risk).toEqual(a.risk);
  });

  it('scores the bars of the timeframe it replays: a 5m backtest decides on its 5m bars (it decided nothing with the config\'s 1h strategy)', async () => {
    const dir5 = mkdtempSync(join(tmpdir(), 'sextant-bt5m-'));
    try {
      const r = await runBacktest({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '5m', from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 1, 3), report: dir5, capital: 10_000 });
      expect(r.timeframe).toBe('5m');
      expect(r.counts['bars']).toBe(2 * 288);
      expect(r.counts['predictions']).toBe(2 * 288);
    } finally {
      rmSync(dir5, { recursive: true, force: true });
    }
  }, 300_000);
});
