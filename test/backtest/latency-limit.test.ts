import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../support/error-of.js';
import { parseBacktestSpec, resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { loadConfig } from '../../config/load.js';
import { MAX_LATENCY_MS } from '../../models/execution/latency-limit.js';

const ROOT = resolve(import.meta.dirname, '../..');

// Venue latencies are milliseconds to seconds: --latency-ms 1e12 (31 years) was accepted and the
// backtest ran with every order arriving after the data ended.
describe('an order latency over a day is refused up front, naming the key', () => {
  it('in a backtest spec and as a cost flag over it', () => {
    expect(MAX_LATENCY_MS).toBe(86_400_000);
    expect(errorOf(() => parseBacktestSpec({ costs: { latencyMs: 1e12 } }, 'x.yaml'))).toMatch(/^x\.yaml: costs\.latencyMs: at most 86400000 /);
    expect(errorOf(() => resolveBacktestInputs(undefined, { from: 0, to: 86_400_000, report: '/r', latencyMs: 86_400_001 }))).toMatch(/^cost flags: latencyMs: at most 86400000 /);
    expect(parseBacktestSpec({ costs: { latencyMs: 86_400_000 } }, 'x.yaml').costs?.latencyMs).toBe(86_400_000);
  });

  it('in the config (paperVenue.latencyMs), which the engine and walk-forward take it from', () => {
    expect(errorOf(() => loadConfig({ env: {}, overrides: { paperVenue: { latencyMs: 1e12 } } }))).toMatch(/paperVenue\.latencyMs/);
    expect(loadConfig({ env: {}, overrides: { paperVenue: { latencyMs: 250 } } }).paperVenue.latencyMs).toBe(250);
  });

  it('by `sextant backtest --latency-ms` before anything runs (1e12, NaN, negative, empty)', () => {
    for (const v of ['1e12', '86400001', 'NaN', '-1', '']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'backtest', '--symbols', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-01-02', '--report', '/tmp/never', `--latency-ms=${v}`], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, v).not.toBe(0);
      expect(r.stderr, v).toContain(`argument '${v}' is invalid. a number from 0 to 86400000 (a day: venue latencies are milliseconds to seconds)`);
    }
  }, 60_000);
});
