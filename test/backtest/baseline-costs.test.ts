import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { paperVenueOptions } from '../../cli/paper-venue-options.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';
import type { Bar } from '../../streams/messages/bar.js';
import { testDataDir } from '../support/data-dir.js';

const HOUR = 3_600_000;

describe('the baselines pay the costs the strategy pays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-costs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trade through the paper venue the config sets up (latency and spread model included), with the backtest costs over it', async () => {
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, 'paperVenue:\n  enabled: true\n  takerFeeBps: 7\n  makerFeeBps: 1\n  spreadBps: 6\n  impactCoeff: 0.8\n  maxVolumeShare: 0.05\n  latencyMs: 120000\n  spreadModel: { kind: corwin-schultz, window: 12 }\nrisk:\n  limits:\n    maxDrawdown: 3000\n    maxDailyLoss: 1000\n');
    let seen: PaperVenueOptions | undefined;
    let warmup: readonly Bar[] | undefined;
    const report = await runBacktest({
      configFile,
      data: testDataDir(),
      symbols: ['BTC/USDT'],
      timeframe: '1h',
      from: Date.UTC(2023, 0, 1),
      to: Date.UTC(2023, 0, 15),
      report: join(dir, 'report'),
      capital: 10_000,
      costs: { takerFeeBps: 9 }, // a backtest cost over the config's
      onBaselineInputs: (_bars, o) => {
        seen = o.venue;
        warmup = o.warmup;
      },
    });
    const costs = { enabled: true, takerFeeBps: 9, makerFeeBps: 1, spreadBps: 6, impactCoeff: 0.8, maxVolumeShare: 0.05, latencyMs: 120_000, spreadModel: { kind: 'corwin-schultz', window: 12 }, quoteMaxAgeMs: 60_000 };
    expect(report.costs).toEqual(costs);
    // The risk limits it ran under (from the config file, allowlist set to the symbols) are in the report too.
    expect(report.riskLimits).toMatchObject({ maxDrawdown: 3000, maxDailyLoss: 1000, allowlist: ['BTC/USDT'] });
    // The strategy's venue is built from the same function (cli/decisions.ts), on the same config.
    expect(seen).toEqual(paperVenueOptions({ venue: 'binance', paperVenue: { ...costs, spreadModel: { kind: 'corwin-schultz', window: 12 } } }, HOUR));
    expect(seen).toMatchObject({ takerFeeBps: 9, latencyMs: 120_000, spreadModel: { kind: 'corwin-schultz', window: 12 }, maxGapMs: 1.5 * HOUR });
    expect(Number.isFinite(report.baselines.buy_and_hold.total_return)).toBe(true);
    // The venue the baselines trade on learnt σ, volume and the spread from the strategy's warm-up bars.
    expect(warmup?.length).toBe(FEATURE_WARMUP_BARS);
    expect(warmup?.every((b) => b.ts < Date.UTC(2023, 0, 1))).toBe(true);
  }, 120_000);
});
