import { describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { sample } from '../contract/training-sample-store.contract.js';

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

/**
 * `--symbols btc/usdt` (or BTC-USDT) for a strategy whose samples are stored as BTC/USDT said only
 * that there were none: symbols are matched exactly, so the refusal now names the stored spelling,
 * from the symbols the strategy has samples of (on the venue asked for).
 */
describe('dataset export from the training-sample store for a symbol spelt otherwise', () => {
  const opts = {
    source: 'samples', strategy: 's1', venue: 'binance', timeframe: '1h', horizon: 4, kAtr: 0.75, out: '/nonexistent-sx-out', name: 'dirmlp',
    trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
  } as const;
  const stored = async (): Promise<TrainingSampleStore> => {
    const store = createMemoryTrainingSampleStore();
    await store.commit({ samples: [sample(0), sample(1, { symbol: 'ETH/USDT', id: 'p:eth' }), sample(2, { venue: 'bybit', symbol: 'SOL/USDT', id: 'p:sol' })] });
    return store;
  };

  it('suggests the stored spelling of the only symbol asked for', async () => {
    await expect(runDatasetExport({ ...opts, symbols: ['btc/usdt'] }, stored, () => undefined)).rejects.toThrow(
      'no prediction samples of strategy s1 on binance for btc/usdt in the training-sample store; did you mean BTC/USDT?',
    );
  });

  it('suggests it for the symbols without samples when the others have some, and only from the venue asked for', async () => {
    await expect(runDatasetExport({ ...opts, symbols: ['BTC/USDT', 'eth-usdt', 'sol/usdt'] }, stored, () => undefined)).rejects.toThrow(
      /^no prediction samples of strategy s1 on binance for eth-usdt, sol\/usdt in the training-sample store \(the others have some\); did you mean ETH\/USDT \(for eth-usdt\)\?$/,
    );
  });

  it('says nothing more when no stored symbol is spelt alike', async () => {
    await expect(runDatasetExport({ ...opts, symbols: ['DOGE/USDT'] }, stored, () => undefined)).rejects.toThrow(/^no prediction samples of strategy s1 on binance for DOGE\/USDT in the training-sample store$/);
  });
});
