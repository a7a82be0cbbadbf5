import { describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';

/**
 * `sextant dataset export --source samples --strategy dirmpl` (a typo, or a window with no
 * samples) said "no feature columns: the store holds no samples for this query, or they have no
 * features", naming neither the strategy nor the window it read.
 */
describe('dataset export from the training-sample store when nothing matches', () => {
  it('names the kind, strategy, venue, symbols and window it asked for', async () => {
    const run = runDatasetExport(
      {
        source: 'samples', strategy: 'dirmpl', venue: 'binance', symbols: ['BTC/USDT'], from: Date.UTC(2024, 0, 1), timeframe: '1h',
        horizon: 4, kAtr: 0.75, out: '/nonexistent-sx-out', name: 'dirmlp', trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
      },
      () => Promise.resolve(createMemoryTrainingSampleStore()),
      () => undefined,
    );
    await expect(run).rejects.toThrow('no prediction samples of strategy dirmpl on binance for BTC/USDT from 2024-01-01T00:00:00.000Z → the end in the training-sample store');
  });
});
