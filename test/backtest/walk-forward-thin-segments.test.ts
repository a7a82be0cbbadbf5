import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runWalkForward } from '../../cli/commands/walk-forward.js';
import { THIN_FOLD_ROWS } from '../../models/validation/thin-folds.js';

// `sextant backtest --walk-forward 0.5` on 1h bars scored segments of 12 bars each, and said nothing of it.
const tmp = mkdtempSync(join(tmpdir(), 'sextant-thin-segments-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOUR = 3_600_000;
const T0 = Date.UTC(2023, 0, 1);
const BARS = 300;
const data = join(tmp, 'data');
mkdirSync(join(data, 'ohlcv/binance_spot_1h'), { recursive: true });
writeFileSync(
  join(data, 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv'),
  ['timestamp,datetime,open,high,low,close,volume', ...Array.from({ length: BARS }, (_, i) => `${T0 + i * HOUR},${new Date(T0 + i * HOUR).toISOString()},${100 + i},${101 + i},${99 + i},${100.5 + i},1`)].join('\n') + '\n',
);

/** The walk-forward's thin-segment warnings on stderr; it fails after them (its models cannot train on so few bars), before any segment runs. */
async function thinWarnings(from: number, to: number, stepMs: number, report: string): Promise<string[]> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    await runWalkForward({ data, symbols: ['BTC/USDT'], timeframe: '1h', from, to, stepMs, embargoMs: 0, capital: 10_000, report: join(tmp, report), progress: true }).catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  // It got as far as the report folder, made right after its warnings: not refused before them.
  expect(existsSync(join(tmp, report))).toBe(true);
  return stderr.split('\n').filter((l) => l.startsWith('warning: walk-forward:'));
}

describe('a walk-forward whose segments hold a handful of bars', () => {
  it('warns once on stderr with the bars each holds', async () => {
    const from = T0 + 48 * HOUR;
    const step = 12;
    expect(step).toBeLessThan(THIN_FOLD_ROWS);
    expect(await thinWarnings(from, from + 3 * step * HOUR, step * HOUR, 'thin')).toEqual([expect.stringContaining(`warning: walk-forward: 3 of 3 segments hold fewer than ${THIN_FOLD_ROWS} 1h bars (${step} each)`)]);
    // A last segment cut short by --to is named alone.
    expect(await thinWarnings(from, from + (THIN_FOLD_ROWS + step) * HOUR, THIN_FOLD_ROWS * HOUR, 'last-short')).toEqual([expect.stringContaining(`1 of 2 segments hold fewer than ${THIN_FOLD_ROWS} 1h bars (${step}):`)]);
  }, 120_000);

  it('says nothing when each segment holds enough bars', async () => {
    const from = T0 + 48 * HOUR;
    expect(await thinWarnings(from, from + 2 * THIN_FOLD_ROWS * HOUR, THIN_FOLD_ROWS * HOUR, 'enough')).toEqual([]);
  }, 120_000);
});
