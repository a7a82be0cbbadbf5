import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../support/error-of.js';
import { parseBacktestSpec, resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { loadConfig } from '../../config/load.js';
import { MAX_SPREAD_BPS } from '../../models/execution/bar-spread.js';
import { createPaperVenue } from '../../models/execution/paper-venue-core.js';

const ROOT = resolve(import.meta.dirname, '../..');

// At 20,000 bps the half spread is 100 %: a taker's sell was priced at or below zero, and the
// backtest died deep in the run with a raw list of schema issues (price must be > 0, fee >= 0).
describe('a fixed spread of 20,000 bps or more is refused up front, naming the key', () => {
  it('in a backtest spec and as a cost flag over it', () => {
    expect(MAX_SPREAD_BPS).toBe(20_000);
    expect(errorOf(() => parseBacktestSpec({ costs: { spreadBps: 20_000 } }, 'x.yaml'))).toMatch(/^x\.yaml: costs\.spreadBps: under 20000 bps/);
    expect(errorOf(() => resolveBacktestInputs(undefined, { from: 0, to: 86_400_000, report: '/r', spreadBps: 30_000 }))).toMatch(/^cost flags: spreadBps: under 20000 bps/);
    expect(parseBacktestSpec({ costs: { spreadBps: 19_999 } }, 'x.yaml').costs?.spreadBps).toBe(19_999);
  });

  it('in the config (paperVenue.spreadBps) and by the paper venue itself', () => {
    expect(errorOf(() => loadConfig({ env: {}, overrides: { paperVenue: { spreadBps: 20_000 } } }))).toMatch(/paperVenue\.spreadBps/);
    expect(() => createPaperVenue({ venue: 'binance', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 20_000, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 })).toThrow(/spreadBps out of range: 20000/);
  });

  it('by `sextant backtest --spread-bps` before anything runs', () => {
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'backtest', '--symbols', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-01-15', '--report', '/tmp/never-written', '--spread-bps', '20000'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("option '--spread-bps <bps>' argument '20000' is invalid. a number ≥ 0 and under 20000");
  }, 60_000);
});
