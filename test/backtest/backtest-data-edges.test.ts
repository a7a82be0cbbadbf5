import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { dataEdgeWarnings } from '../../cli/commands/backtest-data-edges.js';
import { testDataDir } from '../support/data-dir.js';

const H = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** What a backtest writes on stderr (its progress stream). */
const capture = (): { out: Writable; text: () => string } => {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => text };
};

describe('a backtest window past the data’s end (or before its start)', () => {
  const from = Date.UTC(2026, 0, 1);
  const to = from + 10 * H;
  const hourly = (symbol: string, a: number, b: number): { symbol: string; ts: number }[] => Array.from({ length: b - a }, (_, i) => ({ symbol, ts: from + (a + i) * H }));

  it('names each symbol whose data starts or ends inside the window, with its first or last bar; a hole filled past the edge is a gap', async () => {
    const bars = [...hourly('AAA/USDT', 0, 10), ...hourly('BBB/USDT', 0, 6), ...hourly('CCC/USDT', 3, 10), ...hourly('DDD/USDT', 0, 6), ...hourly('EEE/USDT', 2, 8)].sort((x, y) => x.ts - y.ts);
    // DDD has bars after the window: its last 4 hours are a gap, not the data's end.
    const asked: string[] = [];
    const without = (symbols: readonly string[], a: number, _b: number): Promise<string[]> => {
      asked.push(`${symbols.join(',')} ${a === 0 ? 'before' : 'after'}`);
      return Promise.resolve(symbols.filter((s) => s !== 'DDD/USDT'));
    };
    const lines = await dataEdgeWarnings(bars, { from, to, barMs: H, tf: '1h' }, without);
    expect(asked).toEqual(['EEE/USDT,CCC/USDT before', 'BBB/USDT,DDD/USDT,EEE/USDT after']);
    expect(lines).toEqual([
      `BBB/USDT: its 1h data ends inside the window: last bar ${iso(from + 5 * H)}, 4 bars before its end ${iso(to)} (report.json lists the missing bars as a gap)`,
      `CCC/USDT: its 1h data starts inside the window: first bar ${iso(from + 3 * H)}, 3 bars after its start ${iso(from)} (report.json lists the missing bars as a gap)`,
      `EEE/USDT: its 1h data starts inside the window: first bar ${iso(from + 2 * H)}, 2 bars after its start ${iso(from)}; and ends inside the window: last bar ${iso(from + 7 * H)}, 2 bars before its end ${iso(to)} (report.json lists the missing bars as a gap)`,
    ]);
    expect(await dataEdgeWarnings(hourly('AAA/USDT', 0, 10), { from, to, barMs: H, tf: '1h' }, () => Promise.reject(new Error('nothing to ask')))).toEqual([]);
  });

  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-edges-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sextant backtest: ETH/USDT 1h ends 2026-03-02T01:00 inside the window, BTC/USDT goes on; one warning line, the report as before', async () => {
    const err = capture();
    const window = { from: Date.UTC(2026, 1, 27), to: Date.UTC(2026, 2, 4) };
    const report = await runBacktest({ data: testDataDir(), timeframe: '1h', capital: 10_000, report: dir, symbols: ['BTC/USDT', 'ETH/USDT'], ...window, progress: err.out });
    const warnings = err.text().split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toEqual([
      'warning: ETH/USDT: its 1h data ends inside the window: last bar 2026-03-02T01:00:00.000Z, 46 bars before its end 2026-03-04T00:00:00.000Z (report.json lists the missing bars as a gap)',
    ]);
    expect(report.gaps).toEqual([{ symbol: 'ETH/USDT', from: '2026-03-02T01:00:00.000Z', to: '2026-03-04T00:00:00.000Z', missingBars: 46 }]);
    expect(report.warnings).toEqual([]);
    // The progress bar (a line of its own off a terminal) is drawn from the first event in: it
    // printed `0 events | 0 events/s` before the real one.
    const drawn = err.text().split('\n').filter((l) => l.includes('events/s'));
    expect(drawn.length).toBeGreaterThan(0);
    for (const l of drawn) expect(l).toMatch(/\| [1-9]\d* events \| \d+ events\/s/);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))).toMatchObject({ gaps: report.gaps, warnings: [] });
  });

  it('sextant backtest: PEPE/USDT 1h starts 2023-05-05T18:00 inside the window', async () => {
    const err = capture();
    const window = { from: Date.UTC(2023, 4, 4), to: Date.UTC(2023, 4, 8) };
    const report = await runBacktest({ data: testDataDir(), timeframe: '1h', capital: 10_000, report: join(dir, 'pepe'), symbols: ['BTC/USDT', 'PEPE/USDT'], ...window, progress: err.out });
    expect(err.text().split('\n').filter((l) => l.startsWith('warning: '))).toEqual([
      'warning: PEPE/USDT: its 1h data starts inside the window: first bar 2023-05-05T18:00:00.000Z, 42 bars after its start 2023-05-04T00:00:00.000Z (report.json lists the missing bars as a gap)',
    ]);
    expect(report.gaps).toEqual([{ symbol: 'PEPE/USDT', from: '2023-05-04T00:00:00.000Z', to: '2023-05-05T18:00:00.000Z', missingBars: 42 }]);
  });
});
