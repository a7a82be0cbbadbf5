import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWalkForward } from '../../cli/commands/walk-forward.js';
import { testDataDir } from '../support/data-dir.js';

const DAY = 86_400_000;

describe('walk-forward backtest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-wf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('retrains before each test window with an embargo, chains the capital and stitches one out-of-sample curve', async () => {
    const from = Date.UTC(2023, 0, 1);
    const embargoMs = 24 * 3_600_000;
    const wf = await runWalkForward({ data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from, to: from + 40 * DAY, stepMs: 20 * DAY, embargoMs, capital: 10_000, report: dir });
    expect(wf.segments).toHaveLength(2);
    const [a, b] = wf.segments;
    if (a === undefined || b === undefined) throw new Error('segments');
    // No information from a test window reaches its model: training ends before window − embargo.
    for (const s of wf.segments) expect(Date.parse(s.trainedTo)).toBeLessThanOrEqual(Date.parse(s.from) - embargoMs);
    // Two models, the second trained on later data than the first.
    expect(Date.parse(b.trainedTo)).toBeGreaterThan(Date.parse(a.trainedTo));
    expect(b.capitalIn).toBe(a.capitalOut);
    expect(a.capitalIn).toBe(10_000);
    expect(wf.metrics.periods).toBe(40 * 24);
    expect(wf.metrics.total_return).toBeCloseTo(b.capitalOut / 10_000 - 1, 9);
    expect(JSON.parse(readFileSync(join(dir, 'walk-forward.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(wf)));
  });
});
