import { describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';
import { testDataDir } from '../support/data-dir.js';

const HOUR = 3_600_000;
const FROM = Date.UTC(2022, 0, 1);

describe('dataset export over a window shorter than the feature warm-up', () => {
  it('names the bars found, the warm-up needed and the flags to widen (it said "too few distinct times to split: 0")', async () => {
    const bars = FEATURE_WARMUP_BARS - 50;
    const run = runDatasetExport(
      {
        source: 'bars', data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: FROM, to: FROM + bars * HOUR,
        horizon: 4, kAtr: 0.75, out: '/nonexistent', name: 'btc-1h', trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
      },
      undefined,
      () => undefined,
    );
    await expect(run).rejects.toThrow(
      `too few 1h bars to export from 2022-01-01T00:00:00.000Z → ${new Date(FROM + bars * HOUR).toISOString()}: found ${bars} of BTC/USDT; ` +
        `each symbol needs more than ${FEATURE_WARMUP_BARS} (the feature warm-up) + 4 (--horizon) to label rows (too few distinct times to split: 0); widen the window: an earlier --from or a later --to`,
    );
  }, 60_000);
});
