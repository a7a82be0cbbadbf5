import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { dropSchema } from '../support/pg.js';
import { watchCommitSetting, withAsyncCommitDefault } from '../support/pg-commit-setting.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_tsdur_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => dropSchema(url, schema));

const T0 = 1_640_995_200_000;
const H = 3_600_000;
const bar = (i: number): Bar => ({
  type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', T0 + i * H), venue: 'binance', symbol: 'BTC/USDT', tf: '1h',
  open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, ts: T0 + i * H,
});
const feat = (i: number): FeatureVector => ({ type: 'feat.vector', v: 1, id: `f:${bar(i).id}`, venue: 'binance', symbol: 'BTC/USDT', ts: bar(i).ts, source: bar(i).id, values: { rsi_14: 50 + i } });

describe('history writes are durable (PostgreSQL)', () => {
  // An asset actor acknowledges its input once the recorder stored its history, and the labeling
  // actor reads a prediction's feature vector back from `features`: a commit a PostgreSQL crash can
  // still lose (synchronous_commit off) is a hole nothing redelivers, and a prediction never labeled.
  it('commits bars and feature vectors with synchronous_commit on, even where the sessions default to off', async () => {
    const first = await createPgTimeseriesStore({ url, schema, poolSize: 1 });
    await first.close();
    const seen = { bars: await watchCommitSetting(url, schema, 'bars'), features: await watchCommitSetting(url, schema, 'features') };
    for (const [i, u] of [url, withAsyncCommitDefault(url)].entries()) {
      const store = await createPgTimeseriesStore({ url: u, schema, poolSize: 1 });
      try {
        expect(await store.insert({ bars: [bar(i)], features: [feat(i)] })).toEqual({ bars: 1, trades: 0, quotes: 0, features: 1 });
      } finally {
        await store.close();
      }
    }
    expect(await seen.bars()).toEqual(['on', 'on']);
    expect(await seen.features()).toEqual(['on', 'on']);
  });
});
