import { describe, expect, it } from 'vitest';
import { gatewaySinkOptions } from '../../cli/gateway-sink.js';
import { loadConfig } from '../../config/load.js';
import { createMarketDataSink } from '../../gateways/market-data/market-data-sink.js';
import { barId } from '../../streams/messages/bar.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName } from '../../streams/provision.js';

const H = 3_600_000;
const bar = (ts: number) => ({ type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', ts), venue: 'binance', symbol: 'BTC/USDT', tf: '1h', open: 100, high: 101, low: 99, close: 100.5, volume: 3, ts });
const feed = { kind: 'bar' as const, venue: 'binance', symbol: 'BTC/USDT', tf: '1h' as const };

describe('sextant gateway: bars ahead of its clock', () => {
  it('refuses them past the configured validation.maxAheadMs, the engine\'s bound, naming the setting (not a fixed minute)', async () => {
    const base = loadConfig();
    const now = Date.UTC(2024, 0, 2);
    const run = async (maxAheadMs: number, ts: number) => {
      const cfg = { ...base, validation: { ...base.validation, maxAheadMs } };
      const bus = createMemoryBus();
      const s = cfg.streamNamePrefix;
      await bus.ensureStreams([
        { name: streamName(cfg, 'MD'), subjects: [`${cfg.prefix}.md.>`], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' },
        { name: `${s}DLQ`, subjects: [`${cfg.prefix}.dlq.>`], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' },
      ]);
      try {
        return await createMarketDataSink(gatewaySinkOptions(cfg, { bus, now: () => now })).offer(feed, bar(ts), 'live');
      } finally {
        await bus.close();
      }
    };
    // Two minutes ahead: refused under a 30 s bound, published under a 5 min one (a fixed 60 s refused it).
    expect(await run(30_000, now + 120_000)).toMatchObject({ type: 'refused', reason: 'SCHEMA', detail: expect.stringContaining('at most 30000 ms, validation.maxAheadMs') });
    expect((await run(5 * 60_000, now + 120_000)).type).toBe('published');
    expect((await run(5 * 60_000, now + H)).type).toBe('refused');
  });
});
