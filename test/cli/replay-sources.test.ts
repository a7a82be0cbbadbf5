import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplayInputError, replaySources } from '../../cli/commands/replay.js';
import { loadConfig } from '../../config/load.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { testDataDir } from '../support/data-dir.js';

const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 0, 3);

async function collect(sources: readonly AsyncIterable<MarketData>[]): Promise<MarketData[]> {
  const out: MarketData[] = [];
  for (const s of sources) for await (const m of s) out.push(m);
  return out;
}

/**
 * `sextant replay --data` takes what `sextant backtest --data` takes: a data root with `ohlcv/` or
 * a flat folder of `<BASE>_<QUOTE>_<tf>….csv` files (it used to require the root), and refuses
 * what it cannot publish before it connects to anything.
 */
describe('sextant replay: what --data publishes', () => {
  const cfg = loadConfig();
  const flat = mkdtempSync(join(tmpdir(), 'sextant-replay-flat-'));
  afterAll(() => rmSync(flat, { recursive: true, force: true }));
  const [btc] = findBarFiles(testDataDir(), { symbols: ['BTC/USDT'], timeframe: '1h' });
  if (btc === undefined) throw new Error('no BTC/USDT 1h bars in the data folder');
  copyFileSync(btc.path, join(flat, 'BTC_USDT_1h.csv'));
  const window = { timeframe: '1h', from: FROM, to: TO } as const;

  it('publishes a flat folder as the data root would, on the configured venue', async () => {
    const fromFlat = await collect(replaySources(cfg, { data: flat, symbols: ['BTC/USDT'], ...window }));
    const fromRoot = await collect(replaySources(cfg, { data: testDataDir(), symbols: ['BTC/USDT'], ...window }));
    expect(fromFlat).toHaveLength(48); // two complete days of 1h bars
    expect(fromFlat).toEqual(fromRoot);
    expect(new Set(fromFlat.map((m) => `${m.venue} ${m.symbol}`))).toEqual(new Set([`${cfg.venue} BTC/USDT`]));
  });

  it('replays the configured assets the folder has when no --symbols is given', async () => {
    const all = await collect(replaySources(cfg, { data: flat, ...window }));
    expect(all).toHaveLength(48);
  });

  it('refuses, naming the cause, before anything is published', () => {
    const refused = (o: Partial<Parameters<typeof replaySources>[1]>): string => {
      try {
        replaySources(cfg, { data: flat, ...window, ...o });
      } catch (e) {
        expect(e).toBeInstanceOf(ReplayInputError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ symbols: ['BTC/USDT', 'ETH/USDT'] })).toBe(`no 1h bar files for ETH/USDT under ${flat}`);
    expect(refused({ symbols: ['DOGE/USDT'] })).toMatch(/^not configured assets: DOGE\/USDT/);
    // Symbols are matched exactly: one spelt in another case or with another separator is named.
    expect(refused({ symbols: ['btc/usdt'] })).toBe('not configured assets: btc/usdt (add them under assets: in the config); did you mean BTC/USDT?');
    expect(refused({ symbols: ['BTC-USDT', 'DOGE/USDT'] })).toBe('not configured assets: BTC-USDT, DOGE/USDT (add them under assets: in the config); did you mean BTC/USDT (for BTC-USDT)?');
    expect(refused({ data: join(flat, 'BTC_USDT_1h.csv'), symbol: 'btc/usdt' })).toBe('not a configured asset: btc/usdt (add it under assets: in the config); did you mean BTC/USDT?');
    expect(refused({ symbols: ['BTC/USDT', 'BTC/USDT'] })).toBe('--symbols names BTC/USDT more than once');
    expect(refused({ from: TO, to: FROM })).toMatch(/^the window is empty/);
    expect(refused({ data: join(flat, 'nothing-here') })).toBe(`--data ${join(flat, 'nothing-here')} does not exist`);
    expect(refused({ data: join(flat, 'BTC_USDT_1h.csv'), symbol: 'DOGE/USDT' })).toMatch(/^not a configured asset: DOGE\/USDT/);
  });

  it('refuses --symbol on a folder and --symbols on a file instead of ignoring them', () => {
    expect(() => replaySources(cfg, { data: flat, symbol: 'ETH/USDT', ...window })).toThrow(`--symbol names the symbol of a single file; ${flat} is a folder: give --symbols ETH/USDT`);
    const file = join(flat, 'BTC_USDT_1h.csv');
    expect(() => replaySources(cfg, { data: file, symbols: ['ETH/USDT'], ...window })).toThrow(`--symbols picks the files of a folder; ${file} is a file: its symbol comes from its name, or give --symbol`);
  });

  it('takes a single file\'s timeframe from its name and refuses flags that contradict the name', async () => {
    // A 5m file replayed with the default timeframe used to be published as 1h bars (subject and ids).
    const fiveMin = join(flat, 'BTC_USDT_5m_2024-01.csv');
    writeFileSync(fiveMin, ['timestamp,open,high,low,close,volume', ...[0, 1, 2].map((i) => `${FROM + i * 300_000},100,101,99,100.5,3`)].join('\n') + '\n');
    const bars = await collect(replaySources(cfg, { data: fiveMin }));
    expect(bars.map((m) => (m.type === 'md.bar' ? m.tf : m.type))).toEqual(['5m', '5m', '5m']);
    const refused = (o: Partial<Parameters<typeof replaySources>[1]>): string => {
      try {
        replaySources(cfg, { data: fiveMin, ...o });
      } catch (e) {
        expect(e).toBeInstanceOf(ReplayInputError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ timeframe: '1h' })).toBe('BTC_USDT_5m_2024-01.csv holds 5m bars by its name, not 1h: leave out --timeframe or give --timeframe 5m');
    expect(refused({ symbol: 'ETH/USDT' })).toBe('BTC_USDT_5m_2024-01.csv holds BTC/USDT data by its name, not ETH/USDT: leave out --symbol');
  });
});
