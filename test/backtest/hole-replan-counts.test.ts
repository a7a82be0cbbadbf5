import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import type { Fill } from '../../streams/messages/fill.js';
import { testDataDir } from '../support/data-dir.js';

const HOUR = 3_600_000;
const FILE = join('ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv');

/**
 * The execution core re-plans a parent whose children fell due in a hole of the data, or lets it
 * lapse (470caf6); the backtest's report counts both (`parentsReplanned`, `parentsLapsed`), as it
 * counts the orders cancelled at the gap. The same window twice: the real bars, then with a
 * three-bar hole cut right after the first fill, while that fill's 4-slice TWAP was under way.
 */
describe('backtest: parents re-planned or lapsed after a hole, reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-hole-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports parentsReplanned and parentsLapsed: none on whole data, at least one with a hole under a parent', async () => {
    const from = Date.UTC(2023, 0, 1);
    const to = Date.UTC(2023, 0, 15);
    const configFile = join(dir, 'four-slices.yaml');
    writeFileSync(configFile, 'execution:\n  policy: twap\n  slices: 4\n');
    const run = async (data: string, name: string): Promise<{ fills: Fill[]; counts: Readonly<Record<string, unknown>> }> => {
      let fills: Fill[] = [];
      const r = await runBacktest({ configFile, data, symbols: ['BTC/USDT'], timeframe: '1h', from, to, capital: 10_000, report: join(dir, name), onEquity: (_e, _t, f) => void (fills = [...f]) });
      return { fills, counts: r.counts };
    };

    const whole = await run(testDataDir(), 'whole');
    expect(whole.counts['parentsReplanned']).toBe(0);
    expect(whole.counts['parentsLapsed']).toBe(0);
    const first = whole.fills[0];
    if (first === undefined) throw new Error('the window has no fill to cut a hole after');

    // The three bars after the first fill's, gone: its parent's next children fall due in the hole.
    const holeFrom = Math.floor(first.ts / HOUR) * HOUR + HOUR;
    const holeTo = holeFrom + 3 * HOUR;
    const cutDir = join(dir, 'data');
    mkdirSync(join(cutDir, 'ohlcv', 'binance_spot_1h'), { recursive: true });
    const lines = readFileSync(join(testDataDir(), FILE), 'utf8').split('\n');
    const kept = lines.filter((l, i) => i === 0 || !((ts) => ts >= holeFrom && ts < holeTo)(Number(l.slice(0, l.indexOf(',')))));
    expect(lines.length - kept.length).toBe(3);
    writeFileSync(join(cutDir, FILE), kept.join('\n'));

    const cut = await run(cutDir, 'cut');
    const replanned = cut.counts['parentsReplanned'];
    const lapsed = cut.counts['parentsLapsed'];
    expect(typeof replanned === 'number' && typeof lapsed === 'number' && replanned + lapsed >= 1).toBe(true);
    expect(cut.counts).toMatchObject({ parentsReplanned: expect.any(Number), parentsLapsed: expect.any(Number) });
  }, 240_000);
});
