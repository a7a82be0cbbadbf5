import { describe, expect, it } from 'vitest';
import { learningConfig } from '../../cli/commands/demo-learning.js';
import { expectedLabels, learningSamples, windowBars } from '../../cli/commands/demo-learning-samples.js';
import { loadConfig } from '../../config/load.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { testDataDir } from '../support/data-dir.js';

const H = 3_600_000;
const cfg = loadConfig();
/** The default demo window: three symbols, 2024-01-01 → 2024-07-01 of 1h bars (4368 each), the baseline MLP (warm-up 200, horizon 4). */
const DEFAULT_WINDOW = { bars: [4368, 4368, 4368], warmup: 200, horizonBars: 4, barMs: H };

/**
 * `demo --learn` fitted its one challenger as soon as `training.minSamples` (300) predictions were
 * labeled: on ~300 January samples of a six-month window. Its cycle now fits once the window's
 * labels are in but those the shadow run and a promotion's rollback watch need after the fit.
 */
describe('sextant demo --learn: the samples its one cycle fits on', () => {
  it('counts the labels the window gives: one prediction a bar from the last warm-up bar on, less the last horizon of each symbol', () => {
    expect(expectedLabels(DEFAULT_WINDOW)).toBe(3 * (4368 - 199 - 4));
    // A symbol short of its warm-up gives none (not a negative count).
    expect(expectedLabels({ ...DEFAULT_WINDOW, bars: [4368, 150] })).toBe(4368 - 199 - 4);
  });

  it('fits on all of the default window’s labels but the tail its shadow run and rollback watch need, not on the first 300', () => {
    const n = learningSamples(cfg.retraining, DEFAULT_WINDOW);
    // collect step 25, purge (4 + 1) bar times × 3 symbols, shadow 200, watch max(300 labels, 72 h × 3 symbols = 216).
    expect(n.after).toEqual({ collect: 25, purge: 15, shadow: 200, watch: 300 });
    expect(n).toMatchObject({ expected: 12_495, minSamples: 12_495 - 540, maxSamples: 12_495 - 540 });
    const c = learningConfig(cfg, DEFAULT_WINDOW);
    expect(c.retraining.training).toMatchObject({ minSamples: 11_955, maxSamples: 11_955 });
    // The rest of the retraining config is the configured one, one cycle only (the automatic triggers off).
    expect(c.retraining).toMatchObject({ enabled: true, shadow: cfg.retraining.shadow, rollback: cfg.retraining.rollback });
    expect(c.retraining.triggers).toMatchObject({ everyLabels: 0, everyMs: 0, adwinDelta: 0 });
    expect(c.retraining.training.epochs).toBe(cfg.retraining.training.epochs);
  });

  it('keeps back a watch of watchMs of label time where that is more labels than watchLabels (5m bars)', () => {
    const n = learningSamples(cfg.retraining, { bars: [30_000], warmup: 200, horizonBars: 48, barMs: 300_000 });
    expect(n.after).toEqual({ collect: 25, purge: 49, shadow: 200, watch: 864 });
    expect(n.minSamples).toBe(30_000 - 199 - 48 - (25 + 49 + 200 + 864));
  });

  it('never fits on fewer than the configured minSamples: a short window keeps it, and maxSamples', () => {
    // SOL/USDT March 2024 (the demo-learn test's window): 541 labels, too few for 300 + the whole tail.
    const n = learningSamples(cfg.retraining, { ...DEFAULT_WINDOW, bars: [744] });
    expect(n).toMatchObject({ expected: 541, minSamples: cfg.retraining.training.minSamples, maxSamples: cfg.retraining.training.maxSamples });
    expect(learningConfig(cfg, { ...DEFAULT_WINDOW, bars: [744] }).retraining.training).toMatchObject({ minSamples: 300, maxSamples: 5000 });
  });

  it('counts each symbol’s bars of the window from its files, as the replay sends them', async () => {
    const symbols = ['SOL/USDT', 'BTC/USDT'];
    const files = findBarFiles(testDataDir(), { symbols, timeframe: '1h' });
    const bars = await windowBars(files, symbols, { venue: cfg.venue, from: Date.parse('2024-03-01T00:00:00Z'), to: Date.parse('2024-04-01T00:00:00Z') });
    expect(bars).toEqual([744, 744]);
  });
});
