import { describe, expect, it } from 'vitest';
import { createDecidedMarks } from '../../actors/decided-marks.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';

const A = 'asset:binance:BTC/USDT';
const B = 'asset:binance:ETH/USDT';
const T0 = Date.UTC(2024, 0, 1);

const trade = (asset: string, streamSeq: number, ts: number): AssetEvent => ({
  asset,
  streamSeq,
  md: { type: 'md.trade', v: 1, id: `t:binance:${asset}:${streamSeq}`, venue: 'binance', symbol: 'BTC/USDT', price: 100, qty: 1, side: 'buy', ts },
  vector: undefined,
});

function warnings(): { log: Logger; said: string[] } {
  const said: string[] = [];
  const log: Logger = { ...silentLogger, warn: (f, m) => void said.push(`${m} ${JSON.stringify(f)}`), child: () => log };
  return { log, said };
}

describe('the decided marks restored with the risk book', () => {
  it('says an event at or below its asset\'s mark was decided before, even one older in time than an event after it in the stream, and nothing else', () => {
    // Mark of A: sequence 10, the newest time decided up to it T0 + 60 s (sequence 9's: a bar
    // published at its close came after the ticks inside it).
    const marks = createDecidedMarks([[A, 10, T0 + 60_000]], silentLogger);
    expect(marks.before(trade(A, 8, T0 + 30_000))).toBe(true);
    expect(marks.before(trade(A, 9, T0 + 60_000))).toBe(true);
    expect(marks.before(trade(A, 10, T0))).toBe(true);
    expect(marks.before(trade(B, 3, T0))).toBe(false);
    expect(marks.before(trade(A, 11, T0 + 61_000))).toBe(false);
  });

  it('drops the mark of a rebuilt stream (a redelivered sequence at or below it newer than all it covers), saying so once, and decides that asset from there', () => {
    const { log, said } = warnings();
    const marks = createDecidedMarks([[A, 10, T0 + 60_000], [B, 7, T0 + 60_000]], log);
    // The stream of A was deleted and made again: its sequence 2 is an hour past the mark.
    const rebuilt = trade(A, 2, T0 + 3_600_000);
    expect(marks.before(rebuilt)).toBe(false);
    marks.decided(rebuilt);
    // Its next events are decided too, though still below the old mark's sequence.
    expect(marks.before(trade(A, 3, T0 + 3_660_000))).toBe(false);
    expect(marks.before(trade(A, 4, T0 + 30_000))).toBe(false);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`the market data of ${A} at stream sequence 2 is newer than everything decided up to sequence 10`);
    expect(said[0]).toContain('its stream was rebuilt');
    // The other asset keeps its mark; the new stream's mark is what was decided on it.
    expect(marks.before(trade(B, 7, T0))).toBe(true);
    expect(marks.snapshot()).toEqual([
      [B, 7, T0 + 60_000],
      [A, 2, T0 + 3_600_000],
    ]);
  });

  it('moves a mark with each event decided, keeping the newest time (none restored: a first start or a backtest)', () => {
    const marks = createDecidedMarks([], silentLogger);
    expect(marks.before(trade(A, 1, T0))).toBe(false);
    marks.decided(trade(A, 1, T0 + 60_000));
    marks.decided(trade(A, 2, T0 + 30_000));
    expect(marks.snapshot()).toEqual([[A, 2, T0 + 60_000]]);
  });
});
