import { describe, expect, it } from 'vitest';
import type { Decisions } from '../../../cli/decisions.js';
import type { ActorSummary } from '../../../cli/engine-status-feed.js';
import { startEngineStatusFeed } from '../../../cli/engine-status-feed.js';
import { placeCandle, TimeframeChoice, timeframeLabel } from '../../../gateways/dashboard/src/chart-timeframe.js';
import type { Candle } from '../../../gateways/dashboard/src/chart-timeframe.js';
import { parsePayload } from '../../../gateways/dashboard/src/topics.js';
import type { Timeframe } from '../../../streams/messages/bar.js';
import { createCounters } from '../../../state/counters.js';
import { silentLogger } from '../../../state/logger.js';

/** The timeframe drawn after each bar of these timeframes arrives, in this order. */
const drawnAfter = (tfs: readonly Timeframe[], strategy: Timeframe | null = null): (Timeframe | null)[] => {
  const c = new TimeframeChoice();
  c.prefer(strategy);
  return tfs.map((tf) => (c.bar(tf), c.drawn));
};

describe("a chart's timeframe with bars of several live", () => {
  it('draws the finest seen, whichever came first in the snapshot, switching once when a finer one appears', () => {
    expect(drawnAfter(['1h', '1h', '1m', '1h', '1m']).at(-1)).toBe('1m');
    expect(drawnAfter(['1m', '1h', '1m', '1h']).at(-1)).toBe('1m');
    // One switch, to the finer: never back to the coarser.
    expect(drawnAfter(['1h', '1h', '1m', '1h', '1m', '1h'])).toEqual(['1h', '1h', '1m', '1m', '1m', '1m']);
    const c = new TimeframeChoice();
    expect([c.bar('1h'), c.bar('1h'), c.bar('5m'), c.bar('1h'), c.bar('5m')]).toEqual([true, false, true, false, false]);
    expect(c.reason).toBe('finest');
  });

  it("draws the strategy's timeframe once the feed says it and a bar of it was seen, in any order", () => {
    expect(drawnAfter(['1m', '1h', '1m'], '1h')).toEqual(['1m', '1h', '1h']);
    expect(drawnAfter(['1h', '1m', '1m'], '1h')).toEqual(['1h', '1h', '1h']);
    // Said after the bars came (the actors snapshot after the md one): switches at once.
    const c = new TimeframeChoice();
    c.bar('1m');
    c.bar('1h');
    expect(c.drawn).toBe('1m');
    expect(c.prefer('1h')).toBe(true);
    expect([c.drawn, c.reason]).toEqual(['1h', 'strategy']);
    expect(timeframeLabel(c.drawn, c.reason)).toEqual({ text: '1h', title: "1h candles: the strategy's timeframe" });
    // A strategy timeframe of which no bar came: the finest meanwhile.
    expect(drawnAfter(['1h', '1m'], '4h')).toEqual(['1h', '1m']);
    expect(timeframeLabel('1m', 'finest').title).toBe('1m candles: the finest timeframe the feed has sent');
  });

  it('keeps each timeframe in order, skipping a bar held as it is and letting the oldest go', () => {
    const list: Candle[] = [];
    const k = (time: number, close = 1): Candle => ({ time, open: 1, high: 2, low: 0, close });
    expect([placeCandle(list, k(60), 3), placeCandle(list, k(180), 3), placeCandle(list, k(180, 2), 3), placeCandle(list, k(120), 3), placeCandle(list, k(120), 3)]).toEqual(['appended', 'appended', 'replaced', 'inserted', 'same']);
    expect(placeCandle(list, k(240), 3)).toBe('appended');
    expect(list.map((c) => c.time)).toEqual([120, 180, 240]);
  });

  it("the decision actor's status says the strategy's timeframe, and the page takes it", () => {
    const decisions = {
      model: () => ({ name: 'direction-mlp', version: 1 }),
      refused: () => null,
      strategy: { strategy: 'dir' },
      risk: { status: () => ({ account: 'acc', state: 'ACTIVE' }) },
      sequencer: { failure: () => undefined },
    } as unknown as Decisions;
    const published: ActorSummary[] = [];
    const feed = startEngineStatusFeed({
      engine: { supervisor: { status: () => [], halt: () => undefined, resume: () => undefined, restartGivenUp: () => [], stop: async () => undefined }, decisions, labeling: undefined, counters: createCounters() },
      hub: { publishLocal: (topic, _key, data) => void (topic === 'actors' && published.push(data as ActorSummary)) },
      bus: { consumerInfo: async () => undefined },
      consumers: [],
      timeframe: '1h',
      intervalMs: 3_600_000,
      log: silentLogger,
    });
    feed.stop();
    const decision = published.find((a) => a.kind === 'decision');
    if (decision === undefined) throw new Error('no decision actor published');
    const parsed = parsePayload('actors', decision.id, 'delta', JSON.parse(JSON.stringify(decision)));
    expect(parsed.ok && parsed.payload.topic === 'actors' ? parsed.payload.data.timeframe : null).toBe('1h');
  });
});
