import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../../actors/supervisor.js';
import { engineProbes, startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import type { GatewayRuntime } from '../../../cli/gateway-runtime.js';
import { loadConfig } from '../../../config/load.js';
import type { Config } from '../../../config/schema.js';
import type { FeatureStore } from '../../../state/feature-store.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryFeatureStore } from '../../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../../state/memory-timeseries-store.js';
import { createPgTimeseriesStore } from '../../../state/pg-timeseries-store.js';
import { createRedisFeatureStore } from '../../../state/redis-feature-store.js';
import type { TimeseriesStore } from '../../../state/timeseries-store.js';
import type { Bus } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { dropSchema } from '../../support/pg.js';
import { connectFeed, json, NATS_URL, rawUpgrade } from '../ws/gateway-harness.js';
import { parsePromText, sampleValue } from './prom-text.js';

const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const tag = randomBytes(5).toString('hex');

describe('gateway runtime of `sextant run` (real NATS, Redis, PostgreSQL)', () => {
  let cfg: Config;
  let bus: Bus;
  let features: FeatureStore;
  let timeseries: TimeseriesStore;
  let runtime: GatewayRuntime;
  let actorState = 'live';
  const supervisor: Supervisor = {
    status: () => [{ key: 'binance:BTC/USDT', state: actorState, restarts: 0, lastSeq: 0 }],
    halt: () => {},
    resume: () => {},
    restartGivenUp: () => [],
    stop: async () => {},
  };

  beforeAll(async () => {
    cfg = loadConfig({ env: {}, overrides: { prefix: `gwr${tag}`, gateway: { enabled: true, port: 0 } } });
    bus = await createNatsBus({ url: NATS_URL, name: 'gateway-runtime-test', connectTimeoutMs: 3000 });
    features = await createRedisFeatureStore({ url: REDIS_URL, keyPrefix: `gwr${tag}`, historyCap: 10 });
    timeseries = await createPgTimeseriesStore({ url: PG_URL, schema: `gwr_${tag}`, poolSize: 1 });
    runtime = await startGatewayRuntime(cfg, bus, engineProbes(cfg, { bus, features, timeseries }, { supervisor }), silentLogger, {
      env: { SEXTANT_VIEWER_TOKEN: 'from-env' },
    });
  });
  afterAll(async () => {
    await runtime.close();
    await features.close();
    await timeseries.close();
    await bus.close();
    await dropSchema(PG_URL, `gwr_${tag}`);
  });

  it('is ready on the real services and not ready while an actor waits to restart', async () => {
    const ready = await fetch(`${runtime.server.url}/readyz`);
    expect(ready.status).toBe(200);
    actorState = 'restarting';
    const down = await fetch(`${runtime.server.url}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { failed: string[] }).failed).toEqual(['consumers']);
    actorState = 'live';
  });

  it('counts in-process fallbacks as not ready', async () => {
    const probes = engineProbes(cfg, { bus, features: createMemoryFeatureStore({ historyCap: 1 }), timeseries: createMemoryTimeseriesStore() }, { supervisor });
    await expect(probes['nats']?.()).resolves.toBeUndefined();
    await expect(probes['redis']?.()).rejects.toThrow('Redis runs on the in-process fallback');
    await expect(probes['postgres']?.()).rejects.toThrow('PostgreSQL runs on the in-process fallback');
  });

  it('feeds metrics and the websocket hub from the bus, with tokens from the environment', async () => {
    const s = subjectsFor(cfg.prefix);
    const feed = await connectFeed(runtime.server.url.replace('http:', 'ws:') + '/ws', { token: 'from-env' });
    feed.send({ op: 'subscribe', topic: 'predictions' });
    await feed.waitFor((m) => m.type === 'subscribed');
    bus.emit(s.prediction('dirmlp', 'binance', 'BTC/USDT'), json({ type: 'prediction', symbol: 'BTC/USDT' }));
    const delta = await feed.waitFor((m) => m.type === 'delta');
    expect(delta).toMatchObject({ topic: 'predictions', key: 'BTC/USDT', seq: 1 });
    runtime.hub.publishLocal('pnl', 'paper', { equity: 10_000 });
    runtime.metrics.observeStage('decide', 5);
    const m = parsePromText(await (await fetch(`${runtime.server.url}/metrics`)).text());
    expect(sampleValue(m, 'sextant_messages_in_total', { subject: `${s.prefix}.pred.dirmlp.binance.BTC-USDT` })).toBe(1);
    // Counted by the engine as its stream stores it, not off the bus (cli/stored-decision-counts.ts).
    expect(sampleValue(m, 'sextant_predictions_total', { strategy: 'dirmlp' })).toBeUndefined();
    expect(sampleValue(m, 'sextant_ws_clients')).toBe(1);
    expect(sampleValue(m, 'sextant_ws_upstream_up')).toBe(1);
    expect(sampleValue(m, 'sextant_ws_duplicates_total')).toBe(0);
    expect(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'decide' })).toBe(1);
    expect(m.some((x) => x.name === 'sextant_process_cpu_seconds_total')).toBe(true);
    // The dev default of the viewer token is replaced by the environment's.
    const refused = await rawUpgrade(`${runtime.server.url}/ws?token=sextant-dev-viewer`);
    expect(refused.upgraded ? 101 : refused.status).toBe(401);
    feed.ws.close();
    await feed.closed;
  });

  it('refuses a websocket subscribe entry no configured asset has, naming the closest configured symbol', async () => {
    const feed = await connectFeed(runtime.server.url.replace('http:', 'ws:') + '/ws', { token: 'from-env' });
    feed.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USTD'] });
    expect(await feed.waitFor((m) => m.type === 'error')).toEqual({
      type: 'error',
      code: 'bad_request',
      reason: '"BTC/USTD" can never match: no configured asset is "BTC/USTD"; did you mean "BTC/USDT"? (the configured symbols: "BTC/USDT", "ETH/USDT", "SOL/USDT")',
      op: 'subscribe',
      topic: 'md',
      symbols: ['BTC/USTD'],
    });
    feed.send({ op: 'subscribe', topic: 'md', symbols: ['binance:ETH/USDT'] });
    expect(await feed.waitFor((m) => m.type === 'subscribed')).toMatchObject({ topic: 'md', symbols: ['binance:ETH/USDT'] });
    feed.ws.close();
    await feed.closed;
  });
});
