import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../support/error-of.js';
import { parseBacktestSpec, resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { loadConfig } from '../../config/load.js';
import { MAX_IMPACT_COEFF } from '../../models/execution/impact-limit.js';

const ROOT = resolve(import.meta.dirname, '../..');

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

  it('by `sextant backtest --impact-coeff` before anything runs (1e9, NaN, negative, empty)', () => {
    for (const v of ['1e9', '10.01', 'NaN', '-0.5', '']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'backtest', '--symbols', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-01-02', '--report', '/tmp/never', `--impact-coeff=${v}`], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, v).not.toBe(0);
      expect(r.stderr, v).toContain(`argument '${v}' is invalid. a number from 0 to 10 (measured square-root impact coefficients are of order 1)`);
    }
  }, 60_000);
});
