import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { readQuotes } from '../../gateways/historical/quotes-csv.js';
import { SourceError } from '../../gateways/historical/source-error.js';
import { readTrades } from '../../gateways/historical/trades-csv.js';
import { replay, ReplayPublishError, subjectOf } from '../../gateways/replay.js';
import { decodeText } from '../../streams/codec.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { NATS_URL } from '../decision/engine-run.js';
import { BTC_1H, BTC_QUOTES, BTC_TRADES, collect, dataPath, scratch } from './data.js';
import { recordingPublisher } from './recording-publisher.js';

const subjects = subjectsFor('sx');
const hourly = (limit: number, from?: number) => readBars(dataPath(BTC_1H), { venue: 'binance', symbol: 'BTC/USDT', tf: '1h', limit, from });
/** Scrambled but deterministic ack delays (0–3 ms), so acks return out of order. */
const scrambled = (i: number): number => (i * 7919) % 4;

describe('replay at full speed', () => {
  it('publishes every message on its subject with msgId = id, issued in source order', async () => {
    const bars = await collect(hourly(2_000));
    const bus = recordingPublisher({ ackDelayMs: scrambled });
    const result = await replay({ bus: bus.publisher, subjects, source: bars });
    expect(result).toEqual({ published: 2_000, duplicates: 0, firstTs: bars[0]!.ts, lastTs: bars.at(-1)!.ts });
    expect(bus.calls.map((c) => c.msgId)).toEqual(bars.map((b) => b.id));
    expect(new Set(bus.calls.map((c) => c.subject))).toEqual(new Set(['sx.md.binance.BTC-USDT.bar.1h']));
    expect(JSON.parse(decodeText(bus.calls[17]!.data))).toEqual(bars[17]);
    expect(bus.inFlight()).toBe(0);
  });

  it('sends trades, quotes and bars to their own subjects', async () => {
    const o = { venue: 'binance', symbol: 'BTC/USDT' };
    const source = mergeByTime<MarketData>(readTrades(dataPath(BTC_TRADES), o), readQuotes(dataPath(BTC_QUOTES), o));
    const bus = recordingPublisher();
    const result = await replay({ bus: bus.publisher, subjects, source });
    expect(result.published).toBe(2001 + 451);
    const bySubject = new Map<string, number>();
    for (const c of bus.calls) bySubject.set(c.subject, (bySubject.get(c.subject) ?? 0) + 1);
    expect(Object.fromEntries(bySubject)).toEqual({ 'sx.md.binance.BTC-USDT.trade': 2001, 'sx.md.binance.BTC-USDT.quote': 451 });
    const ts = bus.calls.map((c) => (JSON.parse(decodeText(c.data)) as MarketData).ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(subjectOf(subjectsFor('p'), (await collect(hourly(1)))[0]!)).toBe('p.md.binance.BTC-USDT.bar.1h');
  });

  it('keeps at most maxInFlight publishes waiting for their ack', async () => {
    const bus = recordingPublisher({ ackDelayMs: scrambled });
    await replay({ bus: bus.publisher, subjects, source: hourly(500), maxInFlight: 7 });
    expect(bus.maxInFlight()).toBe(7);
    const one = recordingPublisher({ ackDelayMs: scrambled });
    await replay({ bus: one.publisher, subjects, source: hourly(50), maxInFlight: 1 });
    expect(one.maxInFlight()).toBe(1);
  });

  it('stores nothing twice on real JetStream when the same file is replayed again, and counts the duplicates', async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-dedup-test', connectTimeoutMs: 3000 });
    const tag = `rpl${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const spec = { name: `T${tag}_MD`, subjects: [`${tag}.md.>`], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'file' as const };
    try {
      await bus.ensureStreams([spec]);
      const s = subjectsFor(tag);
      const first = await replay({ bus, subjects: s, source: hourly(1_000) });
      const second = await replay({ bus, subjects: s, source: hourly(1_000) });
      expect(first).toMatchObject({ published: 1_000, duplicates: 0 });
      expect(second).toMatchObject({ published: 1_000, duplicates: 1_000 });
      expect(await bus.countMessages(spec.name)).toBe(1_000);
      // Overlapping windows: only the new part is stored.
      const third = await replay({ bus, subjects: s, source: hourly(1_500) });
      expect(third).toMatchObject({ published: 1_500, duplicates: 1_000 });
      expect(await bus.countMessages(spec.name)).toBe(1_500);
    } finally {
      await bus.deleteStreams([spec.name]);
      await bus.close();
    }
  });

  it('counts the duplicates a publisher reports, with acks out of order', async () => {
    const bus = recordingPublisher({ ackDelayMs: scrambled });
    const first = await replay({ bus: bus.publisher, subjects, source: hourly(1_000) });
    const second = await replay({ bus: bus.publisher, subjects, source: hourly(1_000) });
    expect(first).toMatchObject({ published: 1_000, duplicates: 0 });
    expect(second).toMatchObject({ published: 1_000, duplicates: 1_000 });
    expect(bus.stored).toHaveLength(1_000);
    // Overlapping windows: only the new part is stored.
    const third = await replay({ bus: bus.publisher, subjects, source: hourly(1_500) });
    expect(third).toMatchObject({ published: 1_500, duplicates: 1_000 });
    expect(bus.stored).toHaveLength(1_500);
  });

  it('reports progress after each acknowledgement', async () => {
    const seen: number[] = [];
    await replay({ bus: recordingPublisher({ ackDelayMs: scrambled }).publisher, subjects, source: hourly(100), onProgress: (n) => seen.push(n) });
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});

describe('replay paced by event time', () => {
  it('waits event-time gaps divided by speed (speed 60: an hourly bar every minute)', async () => {
    const sleeps: number[] = [];
    const bus = recordingPublisher();
    const result = await replay({ bus: bus.publisher, subjects, source: hourly(5), speed: 60, sleep: async (ms) => void sleeps.push(ms) });
    expect(result.published).toBe(5);
    expect(sleeps).toEqual([60_000, 60_000, 60_000, 60_000]);
  });

  it('stretches a gap in the data (missing candles) in proportion', async () => {
    const gapStart = Date.UTC(2020, 11, 21, 13); // an exchange outage: 14:00–17:00 are absent
    const sleeps: number[] = [];
    const bars = await collect(hourly(3, gapStart));
    expect(bars[1]!.ts - bars[0]!.ts).toBeGreaterThan(3_600_000);
    await replay({ bus: recordingPublisher().publisher, subjects, source: bars, speed: 3_600, sleep: async (ms) => void sleeps.push(ms) });
    expect(sleeps).toEqual([(bars[1]!.ts - bars[0]!.ts) / 3_600, (bars[2]!.ts - bars[1]!.ts) / 3_600]);
  });

  it('coalesces sub-millisecond waits without drifting (trades at real speed)', async () => {
    const trades = await collect(readTrades(dataPath(BTC_TRADES), { venue: 'binance', symbol: 'BTC/USDT' }));
    const sleeps: number[] = [];
    await replay({ bus: recordingPublisher().publisher, subjects, source: trades, speed: 1, sleep: async (ms) => void sleeps.push(ms) });
    expect(sleeps.every((ms) => ms >= 1)).toBe(true);
    expect(sleeps.length).toBeLessThan(trades.length - 1);
    const total = sleeps.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - (trades.at(-1)!.ts - trades[0]!.ts))).toBeLessThan(1);
  });

  it('measures from the start, so a late timer is caught up instead of accumulating', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      sleeps.push(ms);
      clock += ms + 10; // every timer fires 10 ms late
    };
    await replay({ bus: recordingPublisher().publisher, subjects, source: hourly(4), speed: 3_600, sleep, now: () => clock });
    expect(sleeps).toEqual([1_000, 990, 990]);
  });

  it('never sleeps at speed max', async () => {
    let slept = 0;
    await replay({ bus: recordingPublisher().publisher, subjects, source: hourly(10), sleep: async () => void slept++ });
    expect(slept).toBe(0);
  });
});

describe('replay failures', () => {
  it('stops issuing after a publish fails, awaits those in flight, then throws', async () => {
    const bus = recordingPublisher({ failAt: 4 });
    await expect(replay({ bus: bus.publisher, subjects, source: hourly(50), maxInFlight: 1 })).rejects.toThrow('publish 4 refused');
    expect(bus.calls).toHaveLength(5);
    const wide = recordingPublisher({ failAt: 4, ackDelayMs: scrambled });
    await expect(replay({ bus: wide.publisher, subjects, source: hourly(500), maxInFlight: 10 })).rejects.toThrow('publish 4 refused');
    expect(wide.calls.length).toBeLessThanOrEqual(4 + 10 + 1);
    expect(wide.inFlight()).toBe(0);
  });

  it('names the first message not stored, and says when a later one of its subject was stored anyway (a hole a resumed replay does not fill)', async () => {
    const bars = await collect(hourly(50));
    // One at a time: nothing after the failed publish was issued, so a replay run again resumes at it.
    const one = await replay({ bus: recordingPublisher({ failAt: 4 }).publisher, subjects, source: bars, maxInFlight: 1 }).catch((e: unknown) => e);
    expect(one).toBeInstanceOf(ReplayPublishError);
    expect((one as ReplayPublishError).failed).toEqual({ subject: 'sx.md.binance.BTC-USDT.bar.1h', id: bars[4]!.id, ts: bars[4]!.ts });
    expect((one as ReplayPublishError).storedAfter).toBeUndefined();
    expect((one as ReplayPublishError).message).toContain(`publish of ${bars[4]!.id} on sx.md.binance.BTC-USDT.bar.1h (${new Date(bars[4]!.ts).toISOString()}) failed: publish 4 refused`);
    expect((one as ReplayPublishError).message).toContain('a replay run again resumes at it');
    // Ten in flight, the failed one acknowledged last: the later publishes of its subject were stored.
    const wide = recordingPublisher({ failAt: 4, ackDelayMs: (i) => (i === 4 ? 20 : 0) });
    const err = await replay({ bus: wide.publisher, subjects, source: bars, maxInFlight: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayPublishError);
    const stored = wide.stored.map((c) => c.msgId);
    expect(stored).not.toContain(bars[4]!.id);
    const newest = bars.findLast((b) => stored.includes(b.id))!;
    expect(bars.indexOf(newest)).toBeGreaterThan(4);
    expect((err as ReplayPublishError).storedAfter).toEqual({ id: newest.id, ts: newest.ts });
    expect((err as ReplayPublishError).message).toContain('the stream holds a hole there');
  });

  it('passes a source error on after awaiting what was published', async () => {
    const tmp = scratch();
    try {
      const path = tmp.file('bad.csv', 'timestamp,open,high,low,close,volume\n1700000000000,1,2,1,2,5\n1700000060000,1,2,1,x,5\n');
      const bus = recordingPublisher({ ackDelayMs: () => 5 });
      const err = await replay({ bus: bus.publisher, subjects, source: readBars(path, { venue: 'binance', symbol: 'BTC/USDT', tf: '1m' }) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).line).toBe(3);
      expect(bus.calls).toHaveLength(1);
      expect(bus.inFlight()).toBe(0);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses a bad speed or maxInFlight', async () => {
    const bus = recordingPublisher().publisher;
    for (const speed of [0, -1, Number.NaN, Infinity]) await expect(replay({ bus, subjects, source: [], speed })).rejects.toThrow(RangeError);
    await expect(replay({ bus, subjects, source: [], maxInFlight: 0 })).rejects.toThrow(/maxInFlight must be an integer >= 1/);
  });
});
