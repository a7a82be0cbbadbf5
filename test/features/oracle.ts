import type { BarInput } from '../../models/features/feature-engine.js';
import { column, readCsv } from './csv.js';
import type { Csv } from './csv.js';
import { dataFile } from './data-dir.js';

/** The indicator columns of the oracle files, in file order. */
export const ORACLE_COLUMNS = [
  'sma_20',
  'sma_50',
  'sma_200',
  'ema_12',
  'ema_26',
  'ema_50',
  'ema_200',
  'rsi_14',
  'atr_14',
  'bb_upper_20_2',
  'bb_middle_20_2',
  'bb_lower_20_2',
  'macd_12_26_9',
  'macd_signal_12_26_9',
  'macd_hist_12_26_9',
  'vwap_daily_utc_tp',
] as const;

export const ORACLE_FILES = [
  'BTC_USDT_1h_2022',
  'ETH_USDT_1h_2024',
  'PEPE_USDT_1h_2024-01_2024-09',
  'BTC_USDT_5m_2024-08-01_10',
] as const;

export type Oracle = Readonly<{ name: string; csv: Csv; bars: readonly BarInput[] }>;

export const readOracle = (name: string, limit = Infinity): Oracle => {
  const csv = readCsv(dataFile(`oracle/real_data/${name}_indicators.csv`));
  const [ts, o, h, l, c, v] = ['timestamp', 'open', 'high', 'low', 'close', 'volume'].map((n) => column(csv, n)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const rows = csv.rows.slice(0, limit);
  const bars = rows.map((r) => ({
    ts: Number(r[ts]),
    open: Number(r[o]),
    high: Number(r[h]),
    low: Number(r[l]),
    close: Number(r[c]),
    volume: Number(r[v]),
  }));
  return { name, csv: { header: csv.header, rows }, bars };
};

/**
 * An oracle cell as a number, null when empty.
 *
 * The PEPE oracle file has a writer defect: 520 MACD cells whose true exponent is e-10 were
 * written with the trailing zero stripped ("-4.2454944891902877e-1"). A shortest/17-digit
 * formatter never writes a number in [0.1, 1) with an exponent, so a cell ending in "e-1" can
 * only be such a truncated e-10 value; it is read as one. (Checked offline: all 520 then equal
 * TA-Lib's MACD bit for bit.)
 */
export const oracleCell = (cell: string): number | null => {
  if (cell === '') return null;
  return Number(cell.endsWith('e-1') ? `${cell}0` : cell);
};

/** |a − b| relative to |b| (absolute when b is 0): the oracle comparison measure. */
export const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);

export const REL_TOL = 1e-9;
