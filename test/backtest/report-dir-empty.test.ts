import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { checkReportDir } from '../../gateways/report/report-files.js';
import { testDataDir } from '../support/data-dir.js';
import { emptyTrainingCache } from '../support/empty-training-cache.js';

const ROOT = resolve(import.meta.dirname, '../..');

// `--report ''` passed the check as the working folder; the backtest trained and replayed, then
// died with `ENOENT: no such file or directory, mkdir ''`.
describe('an empty report folder is refused before any work', () => {
  it('by the report folder check, naming the option', () => {
    expect(() => checkReportDir('')).toThrow('--report is empty: name the folder for the report');
    expect(() => checkReportDir('  ', 'report:')).toThrow('report: is empty: name the folder for the report');
  });

  it('by a backtest, before training', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-report-empty-'));
    const { configFile, trained } = emptyTrainingCache(dir, 'report-empty');
    try {
      await expect(runBacktest({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 3), capital: 10_000, report: '' })).rejects.toThrow('--report is empty');
      expect(trained()).toEqual([]); // nothing trained
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('by `sextant backtest --report ""` and `--walk-forward … --report ""`', () => {
    for (const extra of [[], ['--walk-forward', '7']]) {
      const r = spawnSync(process.execPath, ['bin/sextant.js', 'backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-01-08', '--report', '', ...extra], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain('--report is empty: name the folder for the report');
      expect(r.stderr).not.toContain('training');
    }
  }, 60_000);
});
