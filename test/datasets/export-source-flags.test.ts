import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetCommand } from '../../cli/commands/dataset.js';

/**
 * A flag that only the other `--source` reads is refused, naming it, before anything is read.
 * Before: `--strategy dirmlp --sample-kind order` without `--source samples` exported CSV bars
 * as if they were not there, and `--horizon`/`--k-atr` with `--source samples` were dropped.
 */
describe('dataset export: flags of the other --source', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-export-flags-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // A data folder that does not exist: an export that went ahead would fail with another message.
  const run = (...args: string[]): Promise<unknown> =>
    datasetCommand().parseAsync(['export', '--out', join(root, 'out'), '--symbols', 'BTC/USDT', '--data', join(root, 'no-data'), ...args], { from: 'user' });

  it('refuses --strategy and --sample-kind with --source bars (the default)', async () => {
    await expect(run('--strategy', 'dirmlp', '--sample-kind', 'order')).rejects.toThrow(
      '--strategy, --sample-kind apply to --source samples only, and this export reads --source bars; drop them or give --source samples',
    );
    await expect(run('--venue', 'binance')).rejects.toThrow('--venue applies to --source samples only');
    await expect(readdir(root)).resolves.toEqual([]);
  });

  it('refuses --horizon, --k-atr and --data with --source samples', async () => {
    const samples = (...args: string[]): Promise<unknown> =>
      datasetCommand().parseAsync(['export', '--source', 'samples', '--strategy', 'dirmlp', '--out', join(root, 'out'), ...args], { from: 'user' });
    await expect(samples('--horizon', '8', '--k-atr', '1')).rejects.toThrow('--horizon, --k-atr apply to --source bars only, and this export reads --source samples; drop them or give --source bars');
    await expect(samples('--data', join(root, 'no-data'))).rejects.toThrow('--data applies to --source bars only');
  });

  it('lets a default value of the other source through', async () => {
    // --sample-kind defaults to "prediction": not given, so not a contradiction; the export then fails on the missing data folder.
    await expect(run()).rejects.toThrow(/no-data/);
  });
});
