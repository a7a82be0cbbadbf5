import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * Two files of one symbol that overlap: the replay publishes both, the asset actor's tick gate
 * refuses the second copy of each bar, and the backtest decides as over the one file. Before the
 * in-process feed stopped setting `msgId`, the stream's duplicate window dropped the copies
 * silently and the backtest waited for ever for messages that never reached the actor.
 */
describe('sextant backtest over overlapping files of one symbol', () => {
  const root = mkdtempSync(join(tmpdir(), 'sextant-bt-overlap-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses each bar the second file repeats (DUPLICATE), finishes, and decides as over one file', async () => {
    const [file] = findBarFiles(testDataDir(), { symbols: ['SOL/USDT'], timeframe: '1h' });
    if (file === undefined) throw new Error('no SOL/USDT 1h bars in the data folder');
    const one = join(root, 'one');
    const two = join(root, 'two');
    mkdirSync(one);
    mkdirSync(two);
    copyFileSync(file.path, join(one, 'SOL_USDT_1h.csv'));
    copyFileSync(file.path, join(two, 'SOL_USDT_1h.csv'));
    // A second file with three days of the window's bars, exactly as the first holds them.
    const [header, ...rows] = readFileSync(file.path, 'utf8').trim().split('\n');
    const lo = Date.UTC(2023, 5, 5);
    const hi = Date.UTC(2023, 5, 8);
    const repeated = rows.filter((r) => {
      const ts = Number(r.slice(0, r.indexOf(',')));
      return ts >= lo && ts < hi;
    });
    expect(repeated).toHaveLength(72);
    writeFileSync(join(two, 'SOL_USDT_1h_extra.csv'), `${header}\n${repeated.join('\n')}\n`);

    const opts = { symbols: ['SOL/USDT'], timeframe: '1h', from: Date.UTC(2023, 5, 1), to: Date.UTC(2023, 5, 15), capital: 5_000 };
    const a = await runBacktest({ ...opts, data: one, report: join(root, 'report-one') });
    const b = await runBacktest({ ...opts, data: two, report: join(root, 'report-two') });

    expect(a.counts['refused']).toEqual({});
    expect(b.counts['refused']).toEqual({ DUPLICATE: 72 });
    expect(b.run.events).toBe(a.run.events + 72);
    const { refused: _a, ...decidedA } = a.counts;
    const { refused: _b, ...decidedB } = b.counts;
    expect(decidedB).toEqual(decidedA);
    expect(decidedA['predictions']).toBe(14 * 24);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.baselines).toEqual(a.baselines);
    expect(b.gaps).toEqual(a.gaps);
  }, 240_000);
});
