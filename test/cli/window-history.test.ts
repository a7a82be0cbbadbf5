import { describe, expect, it } from 'vitest';
import { windowHistory } from '../../cli/window-history.js';
import { silentLogger } from '../../state/logger.js';
import type { Logger } from '../../state/logger.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { barId, TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { featureVectorId } from '../../streams/messages/feature-vector.js';
import { tradeId } from '../../streams/messages/trade.js';

const BTC = { venue: 'binance', symbol: 'BTC/USDT' } as const;
const ETH = { venue: 'binance', symbol: 'ETH/USDT' } as const;
const H = TIMEFRAME_MS['1h'];
const M = TIMEFRAME_MS['1m'];
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H);
const vec = (a: typeof BTC | typeof ETH, source: string, ts: number): FeatureVector => ({ type: 'feat.vector', v: 1, id: featureVectorId(source), venue: a.venue, symbol: a.symbol, ts, source, values: { close: ts / H } });
const hour = (a: typeof BTC | typeof ETH, i: number): FeatureVector => vec(a, barId(a.venue, a.symbol, '1h', T0 + i * H), T0 + i * H);
/** What an asset actor stores over hours [0, n): each hour's 1h bar, its 60 1m bars and a tick vector per minute. */
const stored = (a: typeof BTC | typeof ETH, n: number): FeatureVector[] =>
  Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: 60 }, (_, k) => {
      const ts = T0 + i * H + k * M;
      return [vec(a, barId(a.venue, a.symbol, '1m', ts), ts), vec(a, tradeId(a.venue, a.symbol, i * 60 + k), ts + 7)];
    }).flat(),
    hour(a, i),
  ]).flat();

/** A logger keeping what is warned, as [symbol, message]. */
function captured(): { log: Logger; warned: [unknown, string][] } {
  const warned: [unknown, string][] = [];
  const log: Logger = { ...silentLogger, warn: (fields, msg) => warned.push([fields['symbol'], msg]), child: () => log };
  return { log, warned };
}

const opts = { assets: [BTC, ETH], timeframe: '1h', steps: 4, redelivered: 2 };

describe('windowHistory (cli/window-history.ts): a sequence model\'s windows at start', () => {
  it('takes the feature store\'s recent bars of the timeframe when they fill the window, without reading the stored history', async () => {
    const features = createMemoryFeatureStore({ historyCap: 500 });
    const tick = (a: typeof BTC, i: number): FeatureVector => vec(a, tradeId(a.venue, a.symbol, i), T0 + i * H + 7);
    await features.writeBatch([0, 1, 2, 3, 4, 5].flatMap((i) => [hour(BTC, i), tick(BTC, i), ...(i < 5 ? [hour(ETH, i)] : [])]));
    const timeseries = { barFeatures: () => Promise.reject(new Error('not read')) };
    const { log, warned } = captured();
    const got = await windowHistory({ features, timeseries }, opts, log);
    expect(got).toEqual([...[0, 1, 2, 3, 4, 5].map((i) => hour(BTC, i)), ...[0, 1, 2, 3, 4].map((i) => hour(ETH, i))]);
    expect(warned).toEqual([]);
  });

  it('with the feature store empty (Redis restarted without persistence), reads the newest steps + redelivered bars of the timeframe from the stored history, oldest first', async () => {
    const timeseries = createMemoryTimeseriesStore();
    await timeseries.insert({ features: [...stored(BTC, 12), ...stored(ETH, 3)] });
    const { log } = captured();
    const got = await windowHistory({ features: createMemoryFeatureStore({ historyCap: 500 }), timeseries }, opts, log);
    expect(got).toEqual([...[6, 7, 8, 9, 10, 11].map((i) => hour(BTC, i)), ...[0, 1, 2].map((i) => hour(ETH, i))]);
  });

  it('with fewer recent bars than steps (a cap shorter than the window), joins them to the newest stored ones, one vector per bar', async () => {
    const features = createMemoryFeatureStore({ historyCap: 500 });
    await features.writeBatch([hour(BTC, 9), hour(BTC, 10), hour(BTC, 11)]);
    const timeseries = createMemoryTimeseriesStore();
    await timeseries.insert({ features: stored(BTC, 11) });
    const { log } = captured();
    const got = await windowHistory({ features, timeseries }, { ...opts, assets: [BTC] }, log);
    expect(got).toEqual([5, 6, 7, 8, 9, 10, 11].map((i) => hour(BTC, i)));
  });

  it('without any source primes nothing; a source that cannot be read is left out with a warning', async () => {
    expect(await windowHistory({}, opts, captured().log)).toEqual([]);
    const features = createMemoryFeatureStore({ historyCap: 500 });
    await features.writeBatch([hour(BTC, 1)]);
    const { log, warned } = captured();
    const got = await windowHistory({ features, timeseries: { barFeatures: () => Promise.reject(new Error('PostgreSQL down')) } }, opts, log);
    expect(got).toEqual([hour(BTC, 1)]);
    expect(warned).toEqual([
      ['BTC/USDT', 'cannot read the stored feature vectors; sequence windows fill from new bars'],
      ['ETH/USDT', 'cannot read the stored feature vectors; sequence windows fill from new bars'],
    ]);
  });
});
