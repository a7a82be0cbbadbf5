import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHistoryRefresh } from '../../actors/history-refresh.js';
import { createRecorder } from '../../actors/recorder-actor.js';
import { alignOutward, staleRanges } from '../../state/aggregate-refresh.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import type { Logger } from '../../state/logger.js';
import { pgAggregateRefresher, refreshStatements } from '../../state/pg-aggregate-refresh.js';
import { pgQuery } from '../../state/pg-query.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Trade } from '../../streams/messages/trade.js';
import { dropSchema } from '../support/pg.js';
import { aggregateViews, refreshCalls, refreshStandIn } from '../support/timescale-stand-ins.js';

// Real PostgreSQL with stand-ins for TimescaleDB (not installable here); schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomUUID().replaceAll('-', '').slice(0, 12);
const schema = `sx_tsr_${tag}`;
const ext = `sx_tsrx_${tag}`;

const H = 3_600_000;
const M = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
/** The engine's wall clock in these tests: a year after the history written. */
const NOW = Date.UTC(2025, 0, 1);

const bar = (ts: number, tf: Bar['tf'] = '1m'): Bar => ({ type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', tf, ts), venue: 'binance', symbol: 'BTC/USDT', tf, open: 10, high: 11, low: 9, close: 10, volume: 1, ts });
const trade = (ts: number): Trade => ({ type: 'md.trade', v: 1, id: `t${ts}`, venue: 'binance', symbol: 'BTC/USDT', price: 10, qty: 1, side: 'buy', ts });

let store: TimeseriesStore;
let pool: pg.Pool;
let c: pg.Client;

beforeAll(async () => {
  store = await createPgTimeseriesStore({ url, schema, poolSize: 2 });
  pool = new pg.Pool({ connectionString: url, max: 2 });
  c = new pg.Client({ connectionString: url });
  await c.connect();
  await aggregateViews(c, schema, ext); // bars_1h and trade_bars_1m for the procedure's regclass
  await refreshStandIn(c, ext);
});

afterAll(async () => {
  await store.close();
  await pool.end();
  await c.end();
  await dropSchema(url, schema);
  await dropSchema(url, ext);
});

describe('refreshing the continuous aggregates over history written (SQL and ranges)', () => {
  it('widens a range to whole buckets and calls refresh_continuous_aggregate through the extension schema', () => {
    const written = { bars: { from: T0 + 30 * M, to: T0 + 2 * H + M + 1 }, trades: { from: T0 + 10_000, to: T0 + 70_001 } };
    expect(refreshStatements('timescale', 'sextant', written, '"tsdb"')).toEqual([
      { view: 'bars_1h', from: T0, to: T0 + 3 * H, sql: `CALL "tsdb".refresh_continuous_aggregate('sextant.bars_1h', to_timestamp(${T0 / 1000}), to_timestamp(${(T0 + 3 * H) / 1000}))` },
      { view: 'trade_bars_1m', from: T0, to: T0 + 2 * M, sql: `CALL "tsdb".refresh_continuous_aggregate('sextant.trade_bars_1m', to_timestamp(${T0 / 1000}), to_timestamp(${(T0 + 2 * M) / 1000}))` },
    ]);
    expect(refreshStatements('timescale', 'sextant', { bars: { from: T0, to: T0 + H } })).toHaveLength(1); // only the aggregates of tables written
    expect(alignOutward({ from: T0, to: T0 + H }, H)).toEqual({ from: T0, to: T0 + H }); // aligned already: unchanged
    expect(refreshStatements('postgres', 'sextant', written)).toEqual([]);
  });

  it('gathers only the 1m bars and trades older than the policies refresh', () => {
    const cutoff = { bars: NOW - 3 * DAY + H, trades: NOW - DAY + M };
    const batch = { bars: [bar(T0 + 5 * M), bar(T0, '1h'), bar(NOW - H)], trades: [trade(T0 + 1), trade(NOW - 2 * M)] };
    expect(staleRanges(batch, cutoff)).toEqual({ bars: { from: T0 + 5 * M, to: T0 + 5 * M + 1 }, trades: { from: T0 + 1, to: T0 + 2 } });
    // Live data: nothing.
    expect(staleRanges({ bars: [bar(NOW - 2 * M)], trades: [trade(NOW - M)] }, cutoff)).toEqual({});
  });
});

/** A recorder writing to the real store, its writes told to a history refresh on `flavor`, on a simulated wall clock. */
function wiring(flavor: 'timescale' | 'postgres', log: Logger = silentLogger) {
  const clock = createSimulatedClock(NOW);
  const refresher = pgAggregateRefresher(pgQuery(pool), { flavor, schema, extensionSchema: `"${ext}"` });
  const refresh = createHistoryRefresh({ refresher, clock, log, quietMs: 30_000 });
  const recorder = createRecorder({ store, counters: createCounters(), log: silentLogger, onWritten: refresh.written });
  return { clock, refresh, recorder };
}

describe('refreshing the continuous aggregates after a bulk write of old history (real PostgreSQL, stand-in procedure)', () => {
  it('calls refresh_continuous_aggregate once per aggregate, over the written range aligned outward, when the writes pause', async () => {
    await c.query(`TRUNCATE ${ext}.refresh_calls`);
    const { clock, refresh, recorder } = wiring('timescale');
    // A replay of three batches of old 1m bars and trades, seconds apart: no refresh per batch.
    for (let batch = 0; batch < 3; batch++) {
      const start = T0 + 17 * M + batch * 100 * M;
      await recorder.record({ bars: Array.from({ length: 100 }, (_, i) => bar(start + i * M)), trades: [trade(start + 5_000), trade(start + 99 * M + 30_000)] });
      clock.advanceBy(5_000);
    }
    await recorder.drain();
    expect(await refreshCalls(c, ext, schema)).toEqual([]);
    expect(clock.pending()).toBe(1); // one timer, re-armed by each batch
    clock.advanceBy(30_000); // quiet: the refresh runs
    await vi.waitFor(async () => expect(await refreshCalls(c, ext, schema)).toHaveLength(2));
    await refresh.flush(); // nothing more gathered: no further call
    const lastBar = T0 + 17 * M + 299 * M; // 05:16
    expect(lastBar).toBe(T0 + 5 * H + 16 * M);
    expect(await refreshCalls(c, ext, schema)).toEqual([
      { view: `${schema}.bars_1h`, from: new Date(T0), to: new Date(T0 + 6 * H) },
      { view: `${schema}.trade_bars_1m`, from: new Date(T0 + 17 * M), to: new Date(T0 + 5 * H + 17 * M) },
    ]);
    // A second job later refreshes its own range only.
    await recorder.record({ bars: [bar(T0 + 30 * DAY)] });
    await recorder.drain();
    await refresh.flush(); // the engine's stop: no need to wait for the pause
    const calls = await refreshCalls(c, ext, schema);
    expect(calls).toHaveLength(3);
    expect(calls[2]).toEqual({ view: `${schema}.bars_1h`, from: new Date(T0 + 30 * DAY), to: new Date(T0 + 30 * DAY + H) });
  });

  it('refreshes nothing for live data, and nothing at all on plain PostgreSQL', async () => {
    await c.query(`TRUNCATE ${ext}.refresh_calls`);
    const live = wiring('timescale');
    await live.recorder.record({ bars: [bar(NOW - 2 * M)], trades: [trade(NOW - M)] });
    await live.recorder.drain();
    await live.refresh.flush();
    const plain = wiring('postgres');
    await plain.recorder.record({ bars: [bar(T0 + 40 * DAY)], trades: [trade(T0 + 40 * DAY)] });
    await plain.recorder.drain();
    plain.clock.advanceBy(60_000);
    await plain.refresh.flush();
    expect(await refreshCalls(c, ext, schema)).toEqual([]);
    // The store itself is plain here: it refreshes nothing either.
    expect(store.flavor).toBe('postgres');
    expect(await store.refreshAggregates?.({ bars: { from: T0, to: T0 + H } })).toEqual([]);
    expect(await refreshCalls(c, ext, schema)).toEqual([]);
  });

  it('runs outside a transaction block, which the procedure requires', async () => {
    // The stand-in commits, as TimescaleDB's refuses a transaction block: inside one it fails.
    await c.query('BEGIN');
    await expect(c.query(`CALL ${ext}.refresh_continuous_aggregate('${schema}.bars_1h'::regclass, now(), now())`)).rejects.toThrow(/invalid transaction termination/);
    await c.query('ROLLBACK');
  });

  it('logs a failed refresh with the command that repairs it, and keeps the rows', async () => {
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (_f, m) => void errors.push(m), child: () => log };
    const clock = createSimulatedClock(NOW);
    const refresh = createHistoryRefresh({ refresher: pgAggregateRefresher(pgQuery(pool), { flavor: 'timescale', schema, extensionSchema: '"sx_no_such_schema"' }), clock, log });
    refresh.written({ bars: [bar(T0 + 90 * M)] });
    await refresh.flush();
    expect(errors).toEqual([`continuous aggregate refresh failed (run: sextant db refresh-aggregates --from ${new Date(T0 + 90 * M).toISOString()} --to ${new Date(T0 + 90 * M + 1).toISOString()})`]);
  });
});
