import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { trainingSpanLine } from '../../cli/commands/training-span.js';
import { testDataDir } from '../support/data-dir.js';

const H = 3_600_000;
const bars = (from: number, n: number): { ts: number; open: number; high: number; low: number; close: number; volume: number }[] =>
  Array.from({ length: n }, (_, i) => ({ ts: from + i * H, open: 1, high: 1, low: 1, close: 1, volume: 1 }));

// The demo and the backtest said they trained on "the three years before" the window even when the
// data held a few months of them (PEPE was listed in May 2023): they now say the range they use.
describe('the training message names the bars really trained on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-training-span-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('spans the first bar\'s open to the last bar\'s close over all symbols', () => {
    const to = Date.UTC(2024, 0, 1);
    const line = trainingSpanLine({ name: 'm', timeframe: '1h', barMs: H, years: 3, to, bars: [{ symbol: 'A/USDT', bars: bars(Date.UTC(2023, 4, 5, 18), 10) }, { symbol: 'B/USDT', bars: bars(Date.UTC(2023, 5, 1), 24) }] });
    expect(line).toBe('training m on the 1h bars from 2023-05-05 18:00 UTC to 2023-06-02 (34 bars: what the data holds of the three years before 2024-01-01) …');
    expect(trainingSpanLine({ name: 'm', timeframe: '1h', barMs: H, years: 3, to, bars: [{ symbol: 'A/USDT', bars: [] }] })).toBeUndefined();
  });

  it('sextant backtest says PEPE trained from its listing (2023-05-05 18:00), not three years before', async () => {
    let said = '';
    const progress = new Writable({
      write(chunk: Buffer, _enc, done) {
        said += chunk.toString();
        done();
      },
    });
    await runBacktest({ data: testDataDir(), symbols: ['PEPE/USDT'], timeframe: '1h', from: Date.UTC(2023, 6, 1), to: Date.UTC(2023, 6, 2), capital: 10_000, report: join(dir, 'pepe'), progress });
    const line = said.split('\n').find((l) => l.startsWith('training '));
    expect(line).toMatch(/^training direction-mlp on the 1h bars from 2023-05-05 18:00 UTC to 2023-07-01 \(\d+ bars: what the data holds of the three years before 2023-07-01\) …$/);
    expect(said).not.toContain('of the three years before 2023-07-01 …');
  }, 120_000);
});
