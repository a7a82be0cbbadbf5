import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDatasetExport, windowEdgeWarnings } from '../../cli/commands/dataset.js';
import type { DatasetExportCliOptions } from '../../cli/commands/dataset.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * `sextant dataset export --symbols BTC/USDT --from 2026-05-01 --to 2026-09-01` (BTC/USDT's 1h
 * bars end 2026-06-20T09:00) exported splits over seven weeks of bars while metadata.json recorded
 * the four months asked for, and said nothing. It now warns, naming the symbol's last bar. A
 * re-export with `--created-at` kept the equal version's metadata.json and dropped the time silently.
 */
describe('dataset export: a window the bars do not cover', () => {
  const H = 3_600_000;
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-export-edges-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('warns on stderr when --to is past the data, and still exports what there is', async () => {
    const opts: DatasetExportCliOptions = {
      source: 'bars', data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2026, 4, 1), to: Date.UTC(2026, 8, 1),
      horizon: 4, kAtr: 0.75, out: join(root, 'out'), name: 'direction', trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
    };
    const warnings: string[] = [];
    const r = await runDatasetExport(opts, undefined, () => undefined, (s) => void warnings.push(s));
    expect(warnings).toEqual(['warning: BTC/USDT: its 1h bars do not cover the window: last bar 2026-06-20T09:00:00.000Z, 1742 bars before --to 2026-09-01T00:00:00.000Z\n']);
    const meta = JSON.parse(await readFile(join(r.dir, 'metadata.json'), 'utf8')) as { splits: { test: { to: string } } };
    expect(meta.splits.test.to < '2026-06-20T10:00:00.000Z').toBe(true);
  });

  it('says that --created-at is not recorded when the export reuses an equal version', async () => {
    const opts: DatasetExportCliOptions = {
      source: 'bars', data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 1, 1),
      horizon: 4, kAtr: 0.75, out: join(root, 'dated'), name: 'direction', trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
    };
    const warnings: string[] = [];
    const first = await runDatasetExport(opts, undefined, () => undefined, (s) => void warnings.push(s));
    const again = await runDatasetExport({ ...opts, createdAt: '2024-05-01T00:00:00.000Z' }, undefined, () => undefined, (s) => void warnings.push(s));
    expect(again).toMatchObject({ reused: true, dir: first.dir });
    expect(warnings).toEqual([`warning: --created-at 2024-05-01T00:00:00.000Z not recorded: ${first.dir} holds the same rows and config and keeps its metadata.json (createdAt none)\n`]);
  });

  it('names a late first bar, and says nothing for a window the bars cover', () => {
    const bars = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ ts: from + i * H, open: 1, high: 1, low: 1, close: 1, volume: 1 }));
    const o = { from: 0, to: 10 * H, barMs: H, tf: '1h' };
    expect(windowEdgeWarnings([{ symbol: 'A/B', bars: bars(0, 10) }], o)).toEqual([]);
    expect(windowEdgeWarnings([{ symbol: 'A/B', bars: bars(3 * H, 7) }], o)).toEqual(['A/B: its 1h bars do not cover the window: first bar 1970-01-01T03:00:00.000Z, 3 bars after --from 1970-01-01T00:00:00.000Z']);
    expect(windowEdgeWarnings([{ symbol: 'A/B', bars: bars(0, 8) }], { ...o, from: undefined, to: undefined })).toEqual([]);
  });
});
