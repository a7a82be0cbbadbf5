import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runRegimeSuite } from '../../cli/commands/backtest-suite.js';
import { runWalkForward } from '../../cli/commands/walk-forward.js';

// A walk-forward and a regime suite run their backtests with no progress stream, so the warning a
// single backtest gives of files under --data that are not read (a 2h file, mark candles) was never said.
const tmp = mkdtempSync(join(tmpdir(), 'sextant-unread-runs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOUR = 3_600_000;
const T0 = Date.UTC(2023, 0, 1);
const csv = (n: number, stepMs: number): string =>
  ['timestamp,datetime,open,high,low,close,volume', ...Array.from({ length: n }, (_, i) => `${T0 + i * stepMs},${new Date(T0 + i * stepMs).toISOString()},${100 + i},${101 + i},${99 + i},${100.5 + i},1`)].join('\n') + '\n';

/** A data folder: BTC/USDT's 1h bars, its 2h bars (a timeframe Sextant does not read), ETH/USDT's 2h bars (not asked for). */
function dataFolder(name: string): string {
  const data = join(tmp, name);
  const put = (rel: string, body: string): void => {
    mkdirSync(join(data, rel, '..'), { recursive: true });
    writeFileSync(join(data, rel), body);
  };
  put('ohlcv/binance_spot_1h/BTC_USDT_1h.csv', csv(72, HOUR));
  put('ohlcv/binance_spot_2h/BTC_USDT_2h.csv', csv(36, 2 * HOUR));
  put('ohlcv/binance_spot_2h/ETH_USDT_2h.csv', csv(36, 2 * HOUR));
  return data;
}
const UNREAD_2H = 'not read, their timeframe is not one Sextant reads (1m, 5m, 15m, 1h, 4h, 1d): ohlcv/binance_spot_2h/BTC_USDT_2h.csv';

async function stderrOf(run: () => Promise<unknown>): Promise<{ stderr: string; error: unknown }> {
  let stderr = '';
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  } finally {
    write.mockRestore();
  }
  return { stderr, error };
}

const unreadLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('warning: ') && l.includes('not read'));

describe('files under --data that are not read are named once by a walk-forward and a regime suite, as by a single backtest', () => {
  it('sextant backtest --walk-forward', async () => {
    const data = dataFolder('wf');
    const { stderr } = await stderrOf(() =>
      runWalkForward({ data, symbols: ['BTC/USDT'], timeframe: '1h', from: T0 + 48 * HOUR, to: T0 + 72 * HOUR, stepMs: 12 * HOUR, embargoMs: 0, capital: 10_000, report: join(tmp, 'wf-report'), progress: true }),
    );
    // Its segments' models cannot train on so few bars (it ends there): the warning comes before any is trained.
    expect(unreadLines(stderr), stderr).toEqual([`warning: 1 file under ${data} ${UNREAD_2H}`]);
  }, 120_000);

  it('sextant backtest --suite regimes', async () => {
    const data = dataFolder('suite');
    // A window before the data: no window runs, no model is trained.
    const windows = [{ name: 'before the data', from: T0 - 96 * HOUR, to: T0 - 48 * HOUR }];
    const { stderr, error } = await stderrOf(() => runRegimeSuite({ data, reportDir: join(tmp, 'suite-report'), windows, symbols: ['BTC/USDT'], progress: true }));
    expect(error).toBeUndefined();
    expect(unreadLines(stderr), stderr).toEqual([`warning: 1 file under ${data} ${UNREAD_2H}`]);
  });
});
