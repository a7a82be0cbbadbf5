import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openReplaySources, ReplayInputError, runReplay } from '../../cli/commands/replay.js';
import { loadConfig } from '../../config/load.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { dataPath } from '../gateways/data.js';

const T0 = Date.UTC(2024, 0, 1);
const M5 = 300_000;
const fiveMinuteBars = (n: number): string =>
  ['timestamp,datetime,open,high,low,close,volume', ...Array.from({ length: n }, (_, i) => `${T0 + i * M5},x,100,101,99,100.5,3`)].join('\n') + '\n';

async function collect(sources: readonly AsyncIterable<MarketData>[]): Promise<MarketData[]> {
  const out: MarketData[] = [];
  for (const s of sources) for await (const m of s) out.push(m);
  return out;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ReplayInputError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

/**
 * Nothing in an OHLCV file says its timeframe. `sextant replay --data btc.csv --symbol BTC/USDT`
 * of 5m bars used the 1h default and published every 5m bar on the 1h subject with a 1h id
 * (twelve "hours" an hour, taken by the asset actors); `sextant backtest --data <file>` refuses it.
 */
describe('sextant replay: a file whose bars are not its timeframe apart', () => {
  const cfg = loadConfig();
  const dir = mkdtempSync(join(tmpdir(), 'sextant-replay-spacing-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const unnamed = join(dir, 'btc.csv');
  writeFileSync(unnamed, fiveMinuteBars(60));

  it('is refused before anything connects when the 1h default does not fit, naming the timeframe to give', async () => {
    expect(await refusal(openReplaySources(cfg, { data: unnamed, symbol: 'BTC/USDT' }))).toBe(
      "btc.csv: its first bars are 5m apart, not 1h (the default when neither the file's name nor --timeframe says): give --timeframe 5m",
    );
    expect(await refusal(openReplaySources(cfg, { data: unnamed, symbol: 'BTC/USDT', timeframe: '15m' }))).toBe('btc.csv: its first bars are 5m apart, not 15m (--timeframe): give --timeframe 5m');
    // The command itself: refused before it connects (this NATS address has nothing listening).
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, 'nats:\n  url: nats://127.0.0.1:1\n');
    expect(await refusal(runReplay({ configFile, data: unnamed, symbol: 'BTC/USDT', speed: 'max' }))).toMatch(/^btc\.csv: its first bars are 5m apart, not 1h/);
  });

  it('publishes the file as the bars it holds when --timeframe says so', async () => {
    const bars = await collect(await openReplaySources(cfg, { data: unnamed, symbol: 'BTC/USDT', timeframe: '5m' }));
    expect(bars).toHaveLength(60);
    expect(new Set(bars.map((m) => (m.type === 'md.bar' ? m.tf : m.type)))).toEqual(new Set(['5m']));
  });

  it('refuses a folder file whose name says another timeframe than its bars', async () => {
    const flat = join(dir, 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'BTC_USDT_1h.csv'), fiveMinuteBars(10));
    expect(await refusal(openReplaySources(cfg, { data: flat, symbols: ['BTC/USDT'] }))).toBe('BTC_USDT_1h.csv: its first bars are 5m apart, not 1h as its name says: rename the file after its bars');
  });

  it('reads real files as before: hourly bars with their gaps, and a trades file (no bar spacing to check)', async () => {
    const sources = await openReplaySources(cfg, { data: dataPath(''), symbols: ['BTC/USDT'], from: T0, to: T0 + 24 * 3_600_000 });
    expect(await collect(sources)).toHaveLength(24);
    const trades = join(dir, 'trades.csv');
    copyFileSync(dataPath('ticks/binance_BTCUSDT_spot_trades_2021-01-08_46s.csv'), trades);
    expect((await collect(await openReplaySources(cfg, { data: trades, symbol: 'BTC/USDT' }))).length).toBe(2001);
  });
});
