import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../support/error-of.js';
import { parseBacktestSpec, resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { loadConfig } from '../../config/load.js';
import { MAX_IMPACT_COEFF } from '../../models/execution/impact-limit.js';
import { MAX_LATENCY_MS } from '../../models/execution/latency-limit.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** `sextant backtest` with one cost flag: what it exits with and says, before anything runs. */
const backtestWith = (flag: string, v: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'backtest', '--symbols', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-01-02', '--report', '/tmp/never', `${flag}=${v}`], { cwd: ROOT, encoding: 'utf8' });

// Measured square-root impact coefficients are of order 1: --impact-coeff 1e9 was accepted and
// priced every taker fill at the floor of the sell price.
describe('a square-root impact coefficient above 10 is refused up front, naming the key', () => {
  it('in a backtest spec and as a cost flag over it', () => {
    expect(MAX_IMPACT_COEFF).toBe(10);
    expect(errorOf(() => parseBacktestSpec({ costs: { impactCoeff: 1e9 } }, 'x.yaml'))).toMatch(/^x\.yaml: costs\.impactCoeff: at most 10 /);
    expect(errorOf(() => resolveBacktestInputs(undefined, { from: 0, to: 86_400_000, report: '/r', impactCoeff: 10.5 }))).toMatch(/^cost flags: impactCoeff: at most 10 /);
    expect(parseBacktestSpec({ costs: { impactCoeff: 10 } }, 'x.yaml').costs?.impactCoeff).toBe(10);
  });

  it('in the config (paperVenue.impactCoeff), which walk-forward windows take their costs from', () => {
    expect(errorOf(() => loadConfig({ env: {}, overrides: { paperVenue: { impactCoeff: 1e9 } } }))).toMatch(/paperVenue\.impactCoeff/);
    expect(loadConfig({ env: {}, overrides: { paperVenue: { impactCoeff: 10 } } }).paperVenue.impactCoeff).toBe(10);
  });
});

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
});

describe('`sextant backtest` refuses either flag out of range before anything runs', () => {
  it('--impact-coeff 1e9 or NaN, --latency-ms 1e12 or -1', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['--impact-coeff', '1e9', 'a number from 0 to 10 (measured square-root impact coefficients are of order 1)'],
      ['--impact-coeff', 'NaN', 'a number from 0 to 10 (measured square-root impact coefficients are of order 1)'],
      ['--latency-ms', '1e12', 'a number from 0 to 86400000 (a day: venue latencies are milliseconds to seconds)'],
      ['--latency-ms', '-1', 'a number from 0 to 86400000 (a day: venue latencies are milliseconds to seconds)'],
    ];
    for (const [flag, v, says] of cases) {
      const r = backtestWith(flag, v);
      expect(r.status, `${flag} ${v}`).not.toBe(0);
      expect(r.stderr, `${flag} ${v}`).toContain(`argument '${v}' is invalid. ${says}`);
    }
  }, 60_000);
});
