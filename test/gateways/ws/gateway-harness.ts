import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { GatewayConfig } from '../../../gateways/http/gateway-config.js';
import { startGatewayServer } from '../../../gateways/http/gateway-server.js';
import type { GatewayServer } from '../../../gateways/http/gateway-server.js';
import { feedMetricsFromBus } from '../../../gateways/http/metrics-feed.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import type { EngineMetrics } from '../../../gateways/http/metrics.js';
import type { Probes } from '../../../gateways/http/readiness.js';
import { createHub } from '../../../gateways/ws/hub.js';
import type { Hub, HubOptions } from '../../../gateways/ws/hub.js';
import { ServerMessageSchema } from '../../../gateways/ws/protocol.js';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { silentLogger } from '../../../state/logger.js';
import type { Bus, Subscription } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import type { Subjects } from '../../../streams/subjects.js';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
export const VIEWER = 'viewer-secret-token';
export const OPERATOR = 'operator-secret-token';

/** A subject prefix no other test uses: where something must be stored before the gateway starts. */
export const testPrefix = (): string => `gw${randomBytes(5).toString('hex')}`;

export const testGatewayConfig = (over: Partial<GatewayConfig> = {}): GatewayConfig => ({
  enabled: true,
  host: '127.0.0.1',
  port: 0,
  staticDir: '.',
  tokens: [
    { name: 'alice', token: VIEWER, role: 'viewer' },
    { name: 'ops', token: OPERATOR, role: 'operator' },
  ],
  allowedOrigins: ['http://dash.example:8080'],
  allowMissingOrigin: true,
  maxClients: 500,
  maxInboundBytes: 1024,
  maxInboundPerSecond: 20,
  maxBufferedBytes: 256 * 1024,
  slowCloseMs: 2000,
  maxPendingFrames: 10_000,
  heartbeatMs: 30_000,
  recentIds: 10_000,
  ordersSnapshotDepth: 100,
  mdSnapshotBars: 200,
  controlTimeoutMs: 2000,
  ...over,
});

export type Gateway = Readonly<{
  bus: Bus;
  subjects: Subjects;
  hub: Hub;
  metrics: EngineMetrics;
  server: GatewayServer;
  wsUrl: string;
  close(): Promise<void>;
}>;

/** A gateway on real NATS under a prefix of its own (tests run in parallel on one server), `gw<random hex>` unless given (`testPrefix()`). */
export async function startTestGateway(opts: Readonly<{ config?: Partial<GatewayConfig>; probes?: Probes; staticDir?: string; bus?: Bus; marketData?: HubOptions['marketData']; venues?: HubOptions['venues']; assets?: HubOptions['assets']; bookedFills?: boolean; learnsStored?: boolean; prefix?: string }> = {}): Promise<Gateway> {
  const bus = opts.bus ?? (await createNatsBus({ url: NATS_URL, name: 'gateway-test', connectTimeoutMs: 3000 }));
  const subjects = subjectsFor(opts.prefix ?? testPrefix());
  const config = testGatewayConfig(opts.config);
  const metrics = createEngineMetrics({ defaultMetrics: false });
  const feed: Subscription = feedMetricsFromBus(bus, subjects, metrics);
  const hub = createHub({ bus, subjects, limits: config, heartbeatMs: config.heartbeatMs, recentIds: config.recentIds, ordersSnapshotDepth: config.ordersSnapshotDepth, mdSnapshotBars: config.mdSnapshotBars, ...(opts.marketData !== undefined ? { marketData: opts.marketData } : {}), ...(opts.venues !== undefined ? { venues: opts.venues } : {}), ...(opts.assets !== undefined ? { assets: opts.assets } : {}), ...(opts.bookedFills !== undefined ? { bookedFills: opts.bookedFills } : {}), ...(opts.learnsStored !== undefined ? { learnsStored: opts.learnsStored } : {}), log: silentLogger, onClients: metrics.wsClients, onServerClose: metrics.wsClosed, onUpstream: metrics.wsUpstream, onDuplicate: metrics.wsDuplicate, onWorkingOrderDropped: metrics.wsWorkingOrderDropped });
  const server = await startGatewayServer({
    config,
    ...(opts.staticDir !== undefined ? { staticDir: opts.staticDir } : {}),
    hub,
    metrics,
    probes: opts.probes ?? {},
    bus,
    subjects,
    log: silentLogger,
    env: {},
  });
  await bus.flush();
  return {
    bus,
    subjects,
    hub,
    metrics,
    server,
    wsUrl: server.url.replace('http:', 'ws:') + '/ws',
    close: async () => {
      hub.close();
      feed.unsubscribe();
      await server.close();
      if (opts.bus === undefined) await bus.close();
    },
  };
}

export type UpgradeOutcome =
  | Readonly<{ upgraded: false; status: number; headers: IncomingHttpHeaders; body: string }>
  | Readonly<{ upgraded: true; socket: Socket; head: Buffer }>;

/** A raw upgrade request, to see exactly what a refused client gets (status, body, nothing else). */
export function rawUpgrade(url: string, headers: Readonly<Record<string, string>> = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace('ws:', 'http:'), {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers },
    });
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ upgraded: false, status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('upgrade', (_res, socket, head) => resolve({ upgraded: true, socket, head }));
    req.once('error', reject);
    req.end();
  });
}

/** A feed client that records every message it is sent. */
export type FeedClient = Readonly<{
  ws: WebSocket;
  messages: ServerMessage[];
  send(obj: unknown): void;
  /** Resolves with the first message received (already, or from now on) that matches. */
  waitFor(pred: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  closed: Promise<{ code: number; reason: string }>;
}>;

export async function connectFeed(url: string, opts: Readonly<{ headers?: Record<string, string>; token?: string }> = {}): Promise<FeedClient> {
  const target = opts.token === undefined ? url : `${url}?token=${encodeURIComponent(opts.token)}`;
  const ws = new WebSocket(target, { headers: opts.headers ?? {} });
  const messages: ServerMessage[] = [];
  const waiters = new Set<{ pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }>();
  ws.on('message', (raw: Buffer) => {
    const m = ServerMessageSchema.parse(JSON.parse(raw.toString('utf8')));
    messages.push(m);
    for (const w of waiters)
      if (w.pred(m)) {
        waiters.delete(w);
        w.resolve(m);
      }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    send: (obj) => ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)),
    waitFor: (pred, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const seen = messages.find(pred);
        if (seen !== undefined) return resolve(seen);
        const w = { pred, resolve: (m: ServerMessage) => (clearTimeout(t), resolve(m)) };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.slice(-5))}`));
        }, timeoutMs);
        waiters.add(w);
      }),
    closed,
  };
}

/** Waits until `cond()` holds, polling every 10 ms; throws after `timeoutMs`. */
export const until = async (cond: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

export const enc = new TextEncoder();
export const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));

/**
 * Backs up a paused client's socket (it must be subscribed to `pnl`): large `pnl` frames until the
 * hub counts a slow client. The server then queues what it sends that client.
 */
export async function backUpSocket(g: Gateway): Promise<void> {
  for (let i = 0; g.hub.stats().slowClients === 0 && i < 2000; i++) {
    g.hub.publishLocal('pnl', 'account', { i, pad: 'x'.repeat(32 * 1024) });
    await new Promise((r) => setImmediate(r));
  }
  if (g.hub.stats().slowClients !== 1) throw new Error(`expected one slow client, the hub counts ${g.hub.stats().slowClients}`);
}
