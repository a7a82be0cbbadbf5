import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import type { BacktestCosts } from '../../cli/commands/backtest-spec.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { EngineRun } from '../decision/engine-run.js';
import { isolatedConfig, runEngineOnBars, signalsOf, trainedRegistry } from '../decision/engine-run.js';
import { testDataDir } from '../support/data-dir.js';
import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const WINDOW = { from: FROM, to: Date.UTC(2024, 2, 1) };

/** `subject payload` lines (subject without its prefix) grouped by subject, each in stream order. */
function bySubject(lines: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of lines) {
    const subject = l.slice(0, l.indexOf(' '));
    const list = out.get(subject) ?? [];
    list.push(l.slice(subject.length + 1));
    out.set(subject, list);
  }
  return out;
}

/** Message count per kind (`pred`, `exec.suggest`, `exec.order`, `exec.reject`, `exec.fill`). */
function kinds(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const parts = l.slice(0, l.indexOf(' ')).split('.');
    const kind = parts[0] === 'exec' ? `exec.${parts[1]}` : (parts[0] ?? '?');
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/** The first place two per-subject streams differ, for a readable failure. */
function firstDifference(a: Map<string, string[]>, b: Map<string, string[]>): string | undefined {
  for (const subject of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(subject) ?? [];
    const y = b.get(subject) ?? [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] !== y[i]) return `${subject} #${i}\n  backtest: ${x[i] ?? '(none)'}\n  live:     ${y[i] ?? '(none)'}`;
    }
  }
  return undefined;
}

describe('backtest ↔ live parity (same actors, same model, same window)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-parity-'));
  let registry: ModelRegistry;
  let live: EngineRun | undefined;
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
  }, 600_000);
  afterAll(async () => {
    await live?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const backtest = async (name: string, costs?: BacktestCosts, configFile?: string): Promise<string[]> => {
    let signals: readonly string[] = [];
    await runBacktest({
      ...(configFile !== undefined ? { configFile } : {}),
      data: testDataDir(),
      symbols: SYMBOLS,
      timeframe: '1h',
      ...WINDOW,
      report: join(dir, name),
      capital: 10_000,
      registry,
      ...(costs !== undefined ? { costs } : {}),
      onSignals: (m) => (signals = m),
    });
    // `sxbt.pred.…` → `pred.…`: the backtest has a namespace of its own.
    return signals.map((l) => l.slice(l.indexOf('.') + 1));
  };

  it('publishes the same predictions, suggestions, orders, rejects and fills (ids and payloads, in order per subject) as the live engine on real JetStream', async () => {
    // The backtest replays the 200 bars before its window to warm its actors: the live run too.
    live = await runEngineOnBars(isolatedConfig(SYMBOLS), registry, WINDOW, { warmupBars: FEATURE_WARMUP_BARS });
    const fromLive = await signalsOf(live);
    const fromBacktest = await backtest('same');

    const k = kinds(fromBacktest);
    expect(k['pred']).toBe(2 * 60 * 24); // warm from the window's first bar: every bar is scored
    expect(k['exec.suggest']).toBeGreaterThan(0);
    expect(k['exec.order']).toBeGreaterThan(0);
    expect(k['exec.fill']).toBeGreaterThan(0);
    const diff = firstDifference(bySubject(fromBacktest), bySubject(fromLive));
    expect(diff, diff).toBeUndefined();
    expect(kinds(fromLive)).toEqual(k);
    expect(fromBacktest.length).toBe(fromLive.length);
    // Across subjects too: both publish in decision order on one connection.
    for (let i = 0; i < fromLive.length; i++) if (fromBacktest[i] !== fromLive[i]) expect(fromBacktest[i], `message ${i}`).toBe(fromLive[i]);
    expect(live.engine.decisions?.sequencer.late()).toBe(0);
  }, 600_000);

  it('sizes on the equity (sizing: equity) the same way: live and backtest decide the same, each target a fraction of the equity at its own event', async () => {
    // The backtest decides 4,096 events a batch, the live engine as JetStream delivers them: the
    // targets must depend on the event order only. The backtest's account has --capital; the live one risk.capital.
    const file = join(dir, 'equity.yaml');
    writeFileSync(file, 'strategy:\n  sizing: equity\n  positionSize: 0.4\n');
    const equityLive = await runEngineOnBars(
      isolatedConfig(SYMBOLS, (c) => ({ ...c, strategy: { ...c.strategy, sizing: 'equity', positionSize: 0.4 }, risk: { ...c.risk, capital: 10_000 } })),
      registry,
      WINDOW,
      { warmupBars: FEATURE_WARMUP_BARS },
    );
    let fromLive: string[];
    try {
      fromLive = await signalsOf(equityLive);
    } finally {
      await equityLive.close();
    }
    const fromBacktest = await backtest('equity', undefined, file);
    expect(kinds(fromBacktest)['exec.fill']).toBeGreaterThan(0);
    const diff = firstDifference(bySubject(fromBacktest), bySubject(fromLive));
    expect(diff, diff).toBeUndefined();
    expect(fromBacktest.length).toBe(fromLive.length);

    // Sized on the equity: the first target is 0.4 of the capital (the book is flat), later ones
    // 0.4 of capital + PnL, so their value moves with the account instead of staying at 4,000.
    const notionals = fromBacktest
      .filter((l) => l.startsWith('pred.'))
      .map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as { price: number; intent: { target: number } | null })
      .filter((p) => p.intent !== null && p.intent.target !== 0)
      .map((p) => Math.abs((p.intent as { target: number }).target * p.price));
    expect(notionals.length).toBeGreaterThan(10);
    expect(notionals[0]).toBeCloseTo(4_000, 6);
    expect(notionals.some((n) => Math.abs(n - 4_000) > 1)).toBe(true);
    expect(notionals.every((n) => n <= 0.4 * 10_000 * 3)).toBe(true);
  }, 600_000);

  it('finishes when one symbol\'s data ends long before the others (SHIB/USDT stops on 2024-09-07), deciding every bar of both', async () => {
    const report = await runBacktest({
      data: testDataDir(),
      symbols: ['BTC/USDT', 'SHIB/USDT'],
      timeframe: '1h',
      from: Date.UTC(2024, 7, 20),
      to: Date.UTC(2024, 11, 1),
      report: join(dir, 'ends'),
      capital: 10_000,
      registry,
    });
    const bars = Number(report.counts['bars'] ?? 0);
    expect(bars).toBeGreaterThan(2 * 24 * 30);
    // Every bar of the window is scored (warmed by the bars before it), SHIB's last ones and BTC's after them.
    expect(report.counts['predictions']).toBe(bars);
  }, 120_000);

  it('tells a different cost setting apart (the comparison can fail)', async () => {
    const base = await backtest('base');
    const dearer = await backtest('dearer', { takerFeeBps: 40, makerFeeBps: 20 });
    expect(kinds(base)['exec.fill']).toBeGreaterThan(0);
    expect(firstDifference(bySubject(base), bySubject(dearer))).toBeDefined();
  }, 600_000);
});
