import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');

function sextant(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, SEXTANT_DATA_DIR: testDataDir(), ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Summary = {
  adapters: { bus: string; features: string; timeseries: string; fallbacks: string[] };
  published: number;
  messagesIn: number;
  accepted: number;
  featuresOut: number;
  refused: Record<string, number>;
  rowsWritten: { bars: number; features: number };
  model: { ref: string } | null;
  predictions: number;
  suggestions: number;
  orders: number;
  rejects: number;
  rejectsByReason: Record<string, number>;
  fills: number;
  risk: { state: string; equity: number; positions: { symbol: string; qty: number }[] } | null;
};

const r0 = (stdout: string | undefined): string => stdout ?? '';
const lastJson = (stdout: string): Summary => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Summary;

describe('sextant demo', () => {
  it('falls back to in-process adapters, says so, and still runs the window when no service answers', () => {
    const r = sextant(['demo', '--symbols', 'BTC/USDT,ETH/USDT', '--from', '2024-01-01', '--to', '2024-02-01'], {
      NATS_URL: 'nats://127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
    });
    expect(r.status, r.stderr).toBe(0);
    for (const service of ['NATS', 'Redis', 'PostgreSQL']) expect(r.stderr).toMatch(new RegExp(`notice: ${service} unreachable .* embedded in-process ${service} adapter`));
    const s = lastJson(r.stdout);
    expect(s.adapters).toMatchObject({ bus: 'memory', features: 'memory', timeseries: 'memory' });
    expect(s.adapters.fallbacks).toHaveLength(3);
    // January 2024 is complete in the data: 31 days × 24 bars per symbol.
    expect(s.published).toBe(2 * 31 * 24);
    expect(s.accepted).toBe(s.published);
    expect(s.featuresOut).toBe(s.published);
    expect(s.rowsWritten).toMatchObject({ bars: s.published, features: s.published });
    expect(s.refused).toEqual({ MALFORMED_JSON: 1, NON_POSITIVE: 1, NON_FINITE: 1, UNKNOWN_SYMBOL: 1, OVERSIZE: 1, DUPLICATE: 1, OUT_OF_ORDER: 1 });
    // The in-memory registry starts empty: a model is trained on the years before the window and served.
    expect(s.model?.ref).toBe('direction-mlp@1');
    expect(s.predictions).toBe(2 * (31 * 24 - 199));
    expect(r.stdout).toContain('Sextant demo summary');
  });

  it('runs the whole decision path on the real NATS, Redis and PostgreSQL, twice, with the same result', () => {
    // The first run trains its own model (whatever the registry held), the second serves it.
    const runs = [['--retrain'], []].map((extra) => sextant(['demo', '--symbols', 'SOL/USDT', '--from', '2024-03-01', '--to', '2024-04-01', ...extra]));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const [a, b] = runs.map((r) => lastJson(r.stdout));
    if (a === undefined || b === undefined) throw new Error('no summary');
    expect(a.adapters).toMatchObject({ bus: 'nats', features: 'redis', timeseries: 'postgres', fallbacks: [] });
    expect(a.published).toBe(31 * 24);
    expect(a.rowsWritten.bars).toBe(31 * 24);
    // Features warm up over 200 bars; every later bar is scored, and some predictions trade.
    expect(a.predictions).toBe(31 * 24 - 199);
    expect(a.suggestions).toBeGreaterThan(0);
    expect(a.orders + a.rejects).toBe(a.suggestions);
    expect(a.fills).toBeGreaterThan(0);
    expect(a.risk?.state).toBe('ACTIVE');
    expect(r0(runs[0]?.stdout)).toMatch(/predictions\s+\d+ \(\d+ with a position intent\)/);
    const decided = (s: Summary): unknown => ({
      published: s.published,
      accepted: s.accepted,
      refused: s.refused,
      rowsWritten: s.rowsWritten,
      model: s.model?.ref,
      predictions: s.predictions,
      suggestions: s.suggestions,
      orders: s.orders,
      rejects: s.rejectsByReason,
      fills: s.fills,
      risk: s.risk,
    });
    expect(decided(b)).toEqual(decided(a));
  });

  it('runs the strategy on the replayed timeframe: a 5m demo predicts on its 5m bars', () => {
    const r = sextant(['demo', '--embedded', '--no-faults', '--symbols', 'BTC/USDT', '--timeframe', '5m', '--from', '2024-03-01', '--to', '2024-03-03']);
    expect(r.status, r.stderr).toBe(0);
    const s = lastJson(r.stdout);
    // Two complete days of 5m bars; every bar after the 199-bar warm-up is scored.
    expect(s.published).toBe(2 * 288);
    expect(s.predictions).toBe(2 * 288 - 199);
  });

  it('says which data it needs when the data folder is missing', () => {
    const r = sextant(['demo', '--embedded', '--data', '/nonexistent/sextant-data']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/nonexistent/sextant-data');
    expect(r.stderr).toMatch(/SEXTANT_DATA_DIR/);
  });

  it('refuses a bad configuration naming the key and what was expected', () => {
    const r = sextant(['demo', '--embedded'], { SEXTANT__consumer__batchSize: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/consumer\.batchSize/);
  });
});
