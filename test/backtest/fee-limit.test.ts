import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../support/error-of.js';
import { parseBacktestSpec, resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { loadConfig } from '../../config/load.js';
import { MAX_FEE_BPS } from '../../models/execution/fee-limit.js';
import { createPaperVenue } from '../../models/execution/paper-venue-core.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';

const ROOT = resolve(import.meta.dirname, '../..');
const venue = (over: Partial<PaperVenueOptions>): PaperVenueOptions => ({ venue: 'binance', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 20, slippage: { impactCoeff: 0 }, maxVolumeShare: 1, ...over });

// A fee of 10,000 bps takes 100 % of a fill's notional: no venue charges it, so it can only be a
// typo. --taker-fee-bps 1e6 was accepted and the run went on to drive every account through zero.
describe('a taker or maker fee of 10,000 bps or more is refused up front, naming the key', () => {
  it('in a backtest spec and as a cost flag over it', () => {
    expect(MAX_FEE_BPS).toBe(10_000);
    expect(errorOf(() => parseBacktestSpec({ costs: { takerFeeBps: 10_000 } }, 'x.yaml'))).toMatch(/^x\.yaml: costs\.takerFeeBps: under 10000 bps/);
    expect(errorOf(() => parseBacktestSpec({ costs: { makerFeeBps: 1e6 } }, 'x.yaml'))).toMatch(/^x\.yaml: costs\.makerFeeBps: under 10000 bps/);
    expect(errorOf(() => resolveBacktestInputs(undefined, { from: 0, to: 86_400_000, report: '/r', takerFeeBps: 1e6 }))).toMatch(/^cost flags: takerFeeBps: under 10000 bps/);
    expect(parseBacktestSpec({ costs: { takerFeeBps: 9_999, makerFeeBps: 0 } }, 'x.yaml').costs?.takerFeeBps).toBe(9_999);
  });

  it('in the config (paperVenue.takerFeeBps, makerFeeBps) and by the paper venue itself', () => {
    expect(errorOf(() => loadConfig({ env: {}, overrides: { paperVenue: { takerFeeBps: 10_000 } } }))).toMatch(/paperVenue\.takerFeeBps/);
    expect(errorOf(() => loadConfig({ env: {}, overrides: { paperVenue: { makerFeeBps: 1e6 } } }))).toMatch(/paperVenue\.makerFeeBps/);
    expect(() => createPaperVenue(venue({ takerFeeBps: 10_000 }))).toThrow(/takerFeeBps out of range: 10000/);
    expect(() => createPaperVenue(venue({ makerFeeBps: 1e6 }))).toThrow(/makerFeeBps out of range: 1000000/);
    expect(() => createPaperVenue(venue({ takerFeeBps: 9_999, makerFeeBps: 9_999 }))).not.toThrow();
  });

  it('by `sextant backtest --taker-fee-bps` / `--maker-fee-bps` (down to a rebate of −100 bps) before anything runs', () => {
    const expected = {
      '--taker-fee-bps': 'a number ≥ 0 and under 10000 (a fee under 100 % of the notional)',
      '--maker-fee-bps': 'a number from -100 to under 10000 (a rebate of at most 1 % of the notional, a fee under 100 %)',
    };
    for (const [flag, why] of Object.entries(expected)) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'backtest', '--symbols', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-01-02', '--report', '/tmp/never', flag, '1e6'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`option '${flag} <bps>' argument '1e6' is invalid. ${why}`);
    }
    // A maker rebate past 1 % of the notional is a sign or unit error too.
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'backtest', '--symbols', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-01-02', '--report', '/tmp/never', '--maker-fee-bps=-101'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`option '--maker-fee-bps <bps>' argument '-101' is invalid. ${expected['--maker-fee-bps']}`);
  }, 60_000);
});
