import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import type { Bus } from '../../../streams/bus.js';
import { streamName, streamSpecs } from '../../../streams/provision.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { dataPath } from '../data.js';
import { readKlines, startBinanceServer } from './binance-server.js';
import type { BinanceServer } from './binance-server.js';
import { NATS_URL, until } from './harness.js';

let srv: BinanceServer;
let bus: Bus;
const tag = randomUUID().replaceAll('-', '').slice(0, 10);
const cfg = loadConfig({ overrides: { prefix: `gwc${tag}`, streamNamePrefix: `GWC${tag}_` } });

beforeAll(async () => {
  srv = await startBinanceServer([{ base: 'BTC', quote: 'USDT', bars: readKlines(dataPath('ohlcv/binance_spot_1m/BTC_USDT_1m_2026-03_2026-04.csv'), 40), open: 10 }]);
  bus = await createNatsBus({ url: NATS_URL, name: 'gateway-cli-test', connectTimeoutMs: 2000 });
});
afterAll(async () => {
  await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
  await bus.close();
  await srv.close();
});

/** A port free now (the gateway's marketData.http listens on it). */
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('sextant gateway', () => {
  it('publishes into JetStream from config, serves its feeds\' status on /readyz and /metrics (marketData.http), and stops cleanly on SIGINT with a summary', async () => {
    const port = await freePort();
    const env = {
      ...process.env,
      NATS_URL,
      SEXTANT_LOG_LEVEL: 'warn',
      SEXTANT__prefix: cfg.prefix,
      SEXTANT__streamNamePrefix: cfg.streamNamePrefix,
      SEXTANT__marketData__urls__rest: srv.restUrl,
      SEXTANT__marketData__urls__ws: srv.wsUrl,
      SEXTANT__marketData__timeframes: '[1m]',
      SEXTANT__marketData__trades: 'false',
      SEXTANT__marketData__quotes: 'false',
      SEXTANT__marketData__backfillBars: '4',
      SEXTANT__marketData__http__port: String(port),
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'gateway', '--symbols', 'BTC/USDT'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const md = streamName(cfg, 'MD');
    const subject = subjectsFor(cfg.prefix).bar('binance', 'BTC/USDT', '1m');
    await until(async () => {
      try {
        return (await bus.countMessages(md, subject)) >= 4;
      } catch {
        return false; // stream not created yet
      }
    }, 30_000, `backfilled bars (stderr: ${err})`);
    srv.advance('BTCUSDT');
    await until(async () => (await bus.countMessages(md, subject)) >= 5, 10_000, 'live bar');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    // The gateway's own NATS link is reported beside its feeds (91fc2a1): connected, no outage.
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok', feeds: 1, down: [], nats: expect.objectContaining({ connected: true, disconnects: 0, lastOutage: null }) }]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('sextant_market_data_feed_status{venue="binance",symbol="BTC/USDT",stream="bar 1m",status="live"} 1');
    expect(metrics).toContain('sextant_market_data_feed_restarts_total{venue="binance",symbol="BTC/USDT",stream="bar 1m"} 0');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { feeds: number; failed: number; statuses: Record<string, number> };
    expect(summary).toMatchObject({ feeds: 1, failed: 0, statuses: { backfilled: 1, connected: 1, stopped: 1 } });
  });
});
