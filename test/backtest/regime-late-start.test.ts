import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSuite } from '../../cli/commands/backtest-suite.js';
import { planRegimeSuite } from '../../cli/commands/regime-windows.js';
import { findBarFiles } from '../../gateways/data-dir.js';

const H = 3_600_000;
const DAY = 24 * H;
const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 1, 1);

/** Hourly bars at `[from, to)` in the shared data's CSV format. */
const csv = (spans: readonly (readonly [number, number])[]): string => {
  const rows = ['timestamp,datetime,open,high,low,close,volume,src'];
  for (const [from, to] of spans) for (let t = from; t < to; t += H) rows.push(`${t},${new Date(t).toISOString().replace('.000Z', 'Z')},100,101,99,100,10,M`);
  return `${rows.join('\n')}\n`;
};

/**
 * A symbol whose data starts inside a regime window sat out the whole window with the reason 'no
 * data at the start of the window', which read as if its data were missing, and said neither that
 * it had data in the window nor where it began. None of the five shipped windows has such a
 * symbol in ../shared/data, so the data here is made up.
 */
describe('a regime window with a symbol whose data starts inside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-late-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bars = join(dir, 'ohlcv', 'binance_spot_1h');
  mkdirSync(bars, { recursive: true });
  writeFileSync(join(bars, 'AAA_USDT_1h.csv'), csv([[FROM - 30 * DAY, TO]])); // trades the window
  writeFileSync(join(bars, 'BBB_USDT_1h.csv'), csv([[FROM + 10 * DAY, TO]])); // listed 10 days in
  writeFileSync(join(bars, 'CCC_USDT_1h.csv'), csv([[FROM - 30 * DAY, FROM - 5 * DAY], [FROM + 12 * DAY, TO]])); // a hole over the start
  const window = { name: 'January 2024', from: FROM, to: TO };

  it('leaves it out, saying where its data starts (or resumes) and why it sits out the whole window', async () => {
    const [plan] = await planRegimeSuite(findBarFiles(dir, { timeframe: '1h' }), [window], ['AAA/USDT', 'BBB/USDT', 'CCC/USDT'], '1h');
    expect(plan?.symbols).toEqual(['AAA/USDT']);
    expect(plan?.skipped).toEqual([
      { symbol: 'BBB/USDT', why: "its 1h data starts inside the window, at 2024-01-11T00:00:00.000Z (10 days in); a window trades its symbols from its start, so it sits out the whole window" },
      { symbol: 'CCC/USDT', why: "its 1h data has a hole at the window's start, its first bar in the window at 2024-01-13T00:00:00.000Z (12 days in); a window trades its symbols from its start, so it sits out the whole window" },
    ]);
    // The suite's table (and suite.json, index.html: the same `skipped`) says it under the window.
    const table = formatSuite([{ window: window.name, from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), symbols: plan?.symbols ?? [], skipped: plan?.skipped ?? [], report: null, error: null, warnings: [] }]);
    expect(table).toContain('left out: BBB/USDT (its 1h data starts inside the window, at 2024-01-11T00:00:00.000Z (10 days in);');
  });
});
