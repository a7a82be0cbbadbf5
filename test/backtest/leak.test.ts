import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { testDataDir } from '../support/data-dir.js';

const FROM = Date.UTC(2023, 0, 1);
const T = Date.UTC(2023, 1, 1);
const TO = Date.UTC(2023, 2, 1);

/** The BTC/USDT 1h rows of the window, with every bar after `t` changed (prices × 1.3, volume × 2) when `alter`. */
function windowCsv(path: string, alter: boolean): string {
  const [header, ...rows] = readFileSync(join(testDataDir(), 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv'), 'utf8').trim().split('\n');
  const out = [header];
  for (const row of rows) {
    const c = row.split(',');
    const ts = Number(c[0]);
    if (ts < FROM - 86_400_000 || ts >= TO) continue;
    if (alter && ts > T) {
      for (const i of [2, 3, 4, 5]) c[i] = String(Number(c[i]) * 1.3);
      c[6] = String(Number(c[6]) * 2);
    }
    out.push(c.join(','));
  }
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

const tsOf = (m: string): number => (JSON.parse(m.slice(m.indexOf(' ') + 1)) as { ts: number }).ts;

describe('backtest leak test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-leak-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('changing every bar after t changes no decision at or before t (and does change later ones)', async () => {
    const streams: string[][] = [];
    for (const alter of [false, true]) {
      await runBacktest({
        data: windowCsv(join(dir, `btc-${alter}.csv`), alter),
        symbols: ['BTC/USDT'],
        timeframe: '1h',
        from: FROM,
        to: TO,
        capital: 10_000,
        report: join(dir, `r-${alter}`),
        onSignals: (m) => void streams.push([...m]),
      });
    }
    const [base, changed] = streams as [string[], string[]];
    const upToT = (s: readonly string[]): string[] => s.filter((m) => tsOf(m) <= T);
    expect(upToT(base).length).toBeGreaterThan(100);
    expect(upToT(base).some((m) => m.includes('.exec.order.'))).toBe(true);
    expect(upToT(changed)).toEqual(upToT(base));
    // The change is real: decisions after t differ.
    expect(changed.filter((m) => tsOf(m) > T)).not.toEqual(base.filter((m) => tsOf(m) > T));
  });
});
