import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireDataDir } from '../../gateways/data-dir.js';

/**
 * A file of the shared market data. Throws (the test FAILS, never skips) when the data folder
 * or the file is missing.
 */
export function dataPath(relative: string): string {
  const path = join(requireDataDir(), relative);
  if (!existsSync(path)) throw new Error(`test data file missing: ${path}`);
  return path;
}

/** The rows of a CSV as text cells, split independently of the readers under test. */
export function csvRows(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

export async function collect<T>(src: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of src) out.push(x);
  return out;
}

/** A scratch folder for hand-written bad files; `cleanup` removes it. */
export function scratch(): { file(name: string, text: string): string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sx-gateways-'));
  return {
    dir,
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const BTC_1H = 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv';
export const BTC_5M_2024 = 'ohlcv/binance_spot_5m/BTC_USDT_5m_2024-01_2024-09.csv';
export const BTC_5M_2025 = 'ohlcv/binance_spot_5m/BTC_USDT_5m_2024-12_2026-02.csv';
export const ETH_5M_2024 = 'ohlcv/binance_spot_5m/ETH_USDT_5m_2024-01_2024-09.csv';
export const XRPETH_TRADES = 'ticks/binance_XRPETH_trades_2019-10-11_13.csv';
export const XRPETH_1M = 'ticks/binance_XRPETH_1m_candles_2019-10-11_13.csv';
export const ORDERFLOW_TRADES = 'ticks/freqtrade_orderflow_ETHUSDT_like_trades_2023-02-02.csv';
export const BTC_TRADES = 'ticks/binance_BTCUSDT_spot_trades_2021-01-08_46s.csv';
export const BTC_QUOTES = 'ticks/binance_BTCUSDT_spot_bookticker_2021-01-08_46s.csv';
export const BTC_5M_ORACLE = 'oracle/real_data/BTC_USDT_5m_2024-08-01_10_indicators.csv';
