import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import { engineConsumers, pnlOf, startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import type { PnlSummary } from '../../cli/engine-status-feed.js';
import { startGatewayRuntime } from '../../cli/gateway-runtime.js';
import { stageTiming } from '../../cli/stage-timing.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { createEngineMetrics, METRIC_STAGES } from '../../gateways/http/metrics.js';
import { replay } from '../../gateways/replay.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from '../decision/engine-run.js';
import { testDataDir } from '../support/data-dir.js';
import { parsePromText, sampleValue } from './http/prom-text.js';
import { connectFeed } from './ws/gateway-harness.js';
import type { FeedClient } from './ws/gateway-harness.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
// A month of real 1h bars after the three years the model trains on: 200 warm-up bars, then trading.
const FROM = Date.UTC(2022, 0, 1);
const TO = Date.UTC(2022, 1, 1);
const VIEWER = 'viewer-token-engine-feed';
const ROOT = resolve(import.meta.dirname, '../..');

const dataOf = (c: FeedClient, topic: string, kind: 'snapshot' | 'delta'): unknown[] =>
  c.messages.flatMap((m) => (m.type === kind && m.topic === topic ? [m.data] : []));

describe('engine status on the feed and stage metrics (real NATS)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('streams actors and PnL that match the risk book, and /metrics shows stage latencies and consumer lag', async () => {
    const cfg = isolatedConfig(SYMBOLS, (c) => ({
      ...c,
      gateway: { ...c.gateway, enabled: true, port: 0, tokens: [{ name: 'viewer', role: 'viewer', token: VIEWER }], statusIntervalMs: 200 },
    }));
    const subjects = subjectsFor(cfg.prefix);
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const bus = await createNatsBus({ url: NATS_URL, name: 'engine-feed', connectTimeoutMs: 3000 });
    cleanup.push(() => bus.close());
    await bus.ensureStreams(streamSpecs(cfg));
    cleanup.push(() => bus.deleteStreams(streamSpecs(cfg).map((s) => s.name)));

    // A durable of the test's own that nobody consumes: its lag is known exactly.
    const md = streamName(cfg, 'MD');
    const idle = bus.consume({ stream: md, durable: 'idle_probe', filterSubject: subjects.marketData('binance', 'BTC/USDT') }, () => {});
    await expect.poll(() => bus.consumerInfo(md, 'idle_probe'), { timeout: 10_000 }).toEqual({ pending: 0, ackPending: 0, ackFloor: 0 });
    await idle.stop();

    const metrics = createEngineMetrics({ defaultMetrics: false });
    const riskStore = createMemoryRiskStore();
    const engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() },
      createLiveClock(),
      silentLogger,
      { stages: stageTiming(metrics), counts: metrics },
    );
    cleanup.push(() => engine.stop());
    const gateway = await startGatewayRuntime(cfg, bus, {}, silentLogger, { env: {}, metrics });
    cleanup.push(() => gateway.close());
    const consumers = [...engineConsumers(cfg, engine), { stream: md, durable: 'idle_probe' }];
    expect(consumers.map((c) => c.durable)).toEqual(['asset_binance_BTC_USDT', 'asset_binance_ETH_USDT', 'idle_probe']);
    const status = startEngineStatusFeed({ engine, hub: gateway.hub, metrics: gateway.metrics, bus, consumers, intervalMs: 200, checkMs: 50, log: silentLogger });
    cleanup.push(async () => status.stop());

    const feed = await connectFeed(`${gateway.server.url.replace('http:', 'ws:')}/ws`, { token: VIEWER });
    cleanup.push(async () => feed.ws.close());
    feed.send({ op: 'subscribe', topic: 'actors' });
    feed.send({ op: 'subscribe', topic: 'pnl' });
    // Snapshots at once: every actor (two assets, the decision path, the risk actor) and the account.
    await feed.waitFor((m) => m.type === 'snapshot' && m.topic === 'pnl');
    const actorIds = (dataOf(feed, 'actors', 'snapshot') as { id: string; kind: string }[]).map((a) => `${a.kind} ${a.id}`).sort();
    expect(actorIds).toEqual([`asset asset:binance:BTC/USDT`, `asset asset:binance:ETH/USDT`, `decision decision:${cfg.strategy.name}`, `risk risk:${cfg.risk.account}`]);
    const first = dataOf(feed, 'pnl', 'snapshot')[0] as PnlSummary;
    expect(first).toMatchObject({ account: cfg.risk.account, realised: 0, unrealised: 0, equity: 0, positions: [] });

    const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
    // Paced (5 ms an hour bar, about 4 s in all) so that the book moves across many of the feed's
    // checks: at full speed the whole month can land in a few batches, between two checks.
    const result = await replay({ bus, subjects, speed: 720_000, source: mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', from: FROM, to: TO }))) });
    expect(result.published).toBe(2 * 31 * 24);
    await expect.poll(() => engine.counters.messagesIn, { timeout: 60_000, interval: 50 }).toBe(result.published);
    // The actors' snapshot and deltas carry their lifecycle: both assets are live once all the
    // bars are in (warm features), and the feed says so within a check interval or two.
    const liveAssets = (): string[] =>
      ([...dataOf(feed, 'actors', 'snapshot'), ...dataOf(feed, 'actors', 'delta')] as { id: string; state: string }[])
        .filter((a) => a.state === 'live' && a.id.startsWith('asset:'))
        .map((a) => a.id);
    await expect.poll(() => new Set(liveAssets()).size, { timeout: 10_000 }).toBe(SYMBOLS.length);
    expect(new Set(liveAssets())).toEqual(new Set(SYMBOLS.map((s) => `asset:binance:${s}`)));

    // Stopping lets the decision path finish the last events; the feed then sends the final book.
    await engine.stop();
    const risk = engine.decisions?.risk.status();
    if (risk === undefined) throw new Error('no decision path');
    const stats = engine.decisions?.path.stats();
    expect(stats?.fills).toBeGreaterThan(0);
    status.engineStopped();
    // Every actor the page lists is said stopped, the decision path too (it was shown live after the stop).
    const lastActors = (): Record<string, string> =>
      Object.fromEntries((dataOf(feed, 'actors', 'delta') as { id: string; state: string }[]).filter((a) => !a.id.startsWith('risk:')).map((a) => [a.id, a.state]));
    await expect.poll(lastActors, { timeout: 5_000 }).toEqual({ ...Object.fromEntries(SYMBOLS.map((s) => [`asset:binance:${s}`, 'stopped'])), [`decision:${cfg.strategy.name}`]: 'stopped' });
    // As it travels (JSON): what the client must hold last.
    const final = JSON.parse(JSON.stringify(pnlOf(risk, engine.catchUp?.status() ?? null))) as PnlSummary;
    await expect.poll(() => dataOf(feed, 'pnl', 'delta').at(-1), { timeout: 5_000 }).toEqual(final);

    // The book's positions, as the risk actor stores them.
    const book = risk.positions.map((p) => ({ symbol: p.symbol, qty: p.qty, avgPrice: p.avgCost }));
    expect(final.positions.map((p) => ({ symbol: p.symbol, qty: p.qty, avgPrice: p.avgPrice }))).toEqual(book);
    expect(final.positions.length).toBeGreaterThan(0);
    // Deltas along the way: equity moved, and every one is consistent.
    const deltas = dataOf(feed, 'pnl', 'delta') as PnlSummary[];
    expect(new Set(deltas.map((d) => d.equity)).size).toBeGreaterThan(2);
    for (const d of deltas) {
      expect(Number.isFinite(d.equity)).toBe(true);
      expect(d.equity).toBeCloseTo(d.realised + d.unrealised, 6);
      for (const p of d.positions) if (p.qty !== 0) expect(p.avgPrice).toBeGreaterThan(0);
    }

    await status.pollLag();
    const scrape = async (): Promise<ReturnType<typeof parsePromText>> => parsePromText(await (await fetch(`${gateway.server.url}/metrics`)).text());
    // Predictions and orders are counted once each, as their stream stores them.
    await expect.poll(async () => sampleValue(await scrape(), 'sextant_predictions_total', { strategy: cfg.strategy.name }), { timeout: 5_000 }).toBe(stats?.predictions);
    await expect.poll(async () => sampleValue(await scrape(), 'sextant_orders_total', { outcome: 'approved' }), { timeout: 5_000 }).toBe(stats?.orders);
    const m = await scrape();
    // Every stage the histogram lists was observed during the run.
    expect(METRIC_STAGES).toEqual(['decode', 'features', 'store', 'decide', 'publish']);
    for (const stage of METRIC_STAGES) expect(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage }), stage).toBeGreaterThan(0);
    // The engine's own counts reach the scrape through the status feed: no actor failed or rebuilt in this run.
    expect([sampleValue(m, 'sextant_actor_restarts_total'), sampleValue(m, 'sextant_state_rebuilds_total')]).toEqual([engine.counters.restarts, engine.counters.rebuilds]);
    expect(engine.counters.rebuilds).toBe(0);
    // Every batch's decode, features and commit, every release's decision and publication.
    expect(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'decode' })).toBe(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'features' }));
    expect(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'features' })).toBe(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'store' }));
    expect(sampleValue(m, 'sextant_stage_latency_seconds_sum', { stage: 'decode' })).toBeGreaterThan(0);
    expect(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'decide' })).toBe(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'publish' }));
    expect(sampleValue(m, 'sextant_stage_latency_seconds_sum', { stage: 'decide' })).toBeGreaterThan(0);
    const mean = (stage: string): string => {
      const n = sampleValue(m, 'sextant_stage_latency_seconds_count', { stage }) ?? 0;
      return `${stage} n=${n} mean=${((1000 * (sampleValue(m, 'sextant_stage_latency_seconds_sum', { stage }) ?? 0)) / Math.max(1, n)).toFixed(2)}ms`;
    };
    console.info(`stages: ${METRIC_STAGES.map(mean).join('; ')}; pnl deltas ${deltas.length}, final equity ${final.equity.toFixed(2)}`);
    expect(sampleValue(m, 'sextant_consumer_lag', { durable: 'asset_binance_BTC_USDT' })).toBe(0);
    expect(sampleValue(m, 'sextant_consumer_lag', { durable: 'asset_binance_ETH_USDT' })).toBe(0);
    expect(sampleValue(m, 'sextant_consumer_lag', { durable: 'idle_probe' })).toBe(31 * 24);
  }, 180_000);

  it('`sextant demo --dashboard` serves the page and /healthz while it runs, and exits after the replay', async () => {
    const child = spawn(
      process.execPath,
      [resolve(ROOT, 'bin/sextant.js'), 'demo', '--embedded', '--dashboard', '--port', '0', '--no-faults', '--symbols', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-01-12'],
      { cwd: ROOT, env: { ...process.env, SEXTANT_DATA_DIR: testDataDir(), SEXTANT_VIEWER_TOKEN: VIEWER }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanup.push(async () => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

    await expect.poll(() => /dashboard: (http:\/\/\S+)/.exec(stderr)?.[1], { timeout: 60_000, interval: 50 }).toBeDefined();
    const url = new URL(/dashboard: (http:\/\/\S+)/.exec(stderr)?.[1] ?? '');
    expect(url.searchParams.get('token')).toBe(VIEWER);
    expect(Number(url.port)).toBeGreaterThan(0);
    const health = await fetch(new URL('/healthz', url));
    expect(health.status).toBe(200);
    const page = await fetch(new URL('/', url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('app.js');
    // The page's own origin (an ephemeral port, in no allowlist) may open the feed.
    const feed = await connectFeed(`ws://${url.host}/ws`, { token: VIEWER, headers: { Origin: url.origin } });
    feed.send({ op: 'subscribe', topic: 'actors' });
    await feed.waitFor((m) => (m.type === 'snapshot' || m.type === 'delta') && m.topic === 'actors', 60_000);
    feed.ws.close();

    expect(await exited, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { published: number; accepted: number };
    expect(summary.published).toBe(11 * 24);
    expect(summary.accepted).toBe(summary.published);
  }, 180_000);
});
