import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWalkForward } from '../../cli/commands/walk-forward.js';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const base = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', stepMs: 7 * 86_400_000, embargoMs: 0, capital: 10_000, report: '/tmp/never-written' } as const;

// `--walk-forward 30 --from 2024-02-01 --to 2024-01-01` said "walk-forward needs from < to and a
// positive step", naming neither date; a backtest, train and replay say which window is empty.
describe('walk-forward over an empty window', () => {
  it('is refused naming both dates, as a backtest refuses one', async () => {
    await expect(runWalkForward({ ...base, from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 0, 1) })).rejects.toThrow('the window is empty: --from 2024-02-01T00:00:00.000Z is not before --to 2024-01-01T00:00:00.000Z');
    await expect(runWalkForward({ ...base, from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 1) })).rejects.toThrow('the window is empty');
    await expect(runWalkForward({ ...base, from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 1, 1), stepMs: 0 })).rejects.toThrow('walk-forward needs a positive step, got 0 ms');
  });

  it('by `sextant backtest --walk-forward`, before any work', () => {
    const r = spawnSync(process.execPath, ['bin/sextant.js', 'backtest', '--data', testDataDir(), '--walk-forward', '30', '--from', '2024-02-01', '--to', '2024-01-01', '--report', '/tmp/never-written'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('the window is empty: --from 2024-02-01T00:00:00.000Z is not before --to 2024-01-01T00:00:00.000Z');
  }, 60_000);
});
