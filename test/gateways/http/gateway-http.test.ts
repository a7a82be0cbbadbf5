import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlServer } from '../../../gateways/control/control-server.js';
import type { ControlTarget } from '../../../gateways/control/control-target.js';
import { createLiveClock } from '../../../state/clocks/live-clock.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryAuditStore } from '../../../state/memory-audit-store.js';
import type { Subscription } from '../../../streams/bus.js';
import { connectFeed, json, OPERATOR, startTestGateway, VIEWER } from '../ws/gateway-harness.js';
import type { Gateway } from '../ws/gateway-harness.js';
import { parsePromText, sampleValue } from './prom-text.js';

const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

type HttpReply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A raw request: the path goes out exactly as given (no URL normalisation of `..`). */
const http = (base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpReply> =>
  new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = request({ host: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end(opts.body);
  });

describe('HTTP gateway: health, readiness, static files, metrics, control (real NATS, Redis, PostgreSQL)', () => {
  let gw: Gateway;
  let root: string;
  let redis: Redis;
  let pool: pg.Pool;
  let pgUrl = PG_URL;
  let consumersLive = true;
  let control: Subscription | undefined;
  const audit = createMemoryAuditStore();
  const calls: string[] = [];
  const target: ControlTarget = {
    status: () => ({ state: calls.some((c) => c.startsWith('halt')) ? 'HALTED' : 'ACTIVE' }),
    halt: (a, op) => {
      calls.push(`halt ${a.target.scope} ${a.reason} by ${op}`);
      return { state: 'HALTED' };
    },
    resume: (a, op) => {
      calls.push(`resume ${a.target.scope} by ${op}`);
      return { state: 'ACTIVE' };
    },
    reduce: (a, op) => {
      calls.push(`reduce ${a.reason} by ${op}`);
      return { state: 'REDUCING' };
    },
    getLimits: () => ({}),
    setLimits: () => ({}),
    listModels: async () => [],
    deployModel: async () => ({}),
    rollbackModel: async () => ({}),
    removeModelAlias: async () => ({}),
  };

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sx-gw-'));
    root = join(dir, 'www');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Sextant</title>');
    await writeFile(join(root, 'assets', 'app.js'), 'console.log("dashboard");');
    await writeFile(join(root, 'assets', 'style.css'), 'body{margin:0}');
    await writeFile(join(dir, 'secret.txt'), 'TOP SECRET');
    await symlink(join(dir, 'secret.txt'), join(root, 'leak.txt'));
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    gw = await startTestGateway({
      staticDir: root,
      probes: {
        nats: () => gw.bus.flush(),
        redis: async () => {
          if ((await redis.ping()) !== 'PONG') throw new Error('no PONG');
        },
        postgres: async () => {
          if (pgUrl === PG_URL) return pool.query('SELECT 1');
          const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 500 });
          try {
            await c.connect();
          } finally {
            await c.end().catch(() => {});
          }
        },
        consumers: async () => consumersLive,
      },
    });
    control = startControlServer({ bus: gw.bus, subjects: gw.subjects, target, audit, clock: createLiveClock(), log: silentLogger });
    await gw.bus.flush();
  });
  afterAll(async () => {
    control?.unsubscribe();
    await gw.close();
    redis.disconnect();
    await pool.end();
    await rm(join(root, '..'), { recursive: true, force: true });
  });

  it('answers /healthz while the process is alive', async () => {
    const r = await http(gw.server.url, '/healthz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
  });

  it('is ready only when NATS, Redis, PostgreSQL and the consumers are', async () => {
    const ok = await http(gw.server.url, '/readyz');
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.body) as { status: string; failed: string[]; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe('ready');
    expect(Object.entries(body.checks).map(([k, v]) => [k, v.ok])).toEqual([
      ['nats', true],
      ['redis', true],
      ['postgres', true],
      ['consumers', true],
    ]);

    consumersLive = false;
    const down = await http(gw.server.url, '/readyz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({ status: 'unavailable', failed: ['consumers'], checks: { consumers: { ok: false, error: 'not ready' } } });
    consumersLive = true;

    pgUrl = 'postgres://postgres@127.0.0.1:1/test'; // nothing listens there
    const noPg = await http(gw.server.url, '/readyz');
    expect(noPg.status).toBe(503);
    const b = JSON.parse(noPg.body) as { failed: string[]; checks: Record<string, { error?: string }> };
    expect(b.failed).toEqual(['postgres']);
    expect(b.checks['postgres']?.error).toMatch(/ECONNREFUSED|connect/);
    pgUrl = PG_URL;
    expect((await http(gw.server.url, '/readyz')).status).toBe(200);
  });

  it('serves the dashboard files with their content types, index.html at /', async () => {
    const index = await http(gw.server.url, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<title>Sextant</title>');
    const js = await http(gw.server.url, '/assets/app.js');
    expect([js.status, js.headers['content-type'], js.body]).toEqual([200, 'text/javascript; charset=utf-8', 'console.log("dashboard");']);
    const css = await http(gw.server.url, '/assets/style.css?v=2');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    const head = await http(gw.server.url, '/index.html', { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '37', '']);
    expect((await http(gw.server.url, '/missing.html')).status).toBe(404);
    expect((await http(gw.server.url, '/assets')).status).toBe(404); // a directory
    expect((await http(gw.server.url, '/index.html', { method: 'POST' })).status).toBe(405);
  });

  it('answers 400 to a request target that is not a URL path, a websocket upgrade too, and keeps serving', async () => {
    const port = new URL(gw.server.url).port;
    const raw = (head: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
        let got = '';
        socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
        socket.on('close', () => resolve(got));
        socket.on('error', reject);
        socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
      });
    const upgrade = await raw('GET //%zz/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 /);
    const plain = await raw('GET //%zz/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(plain).toMatch(/^HTTP\/1\.1 400 /);
    expect((await http(gw.server.url, '/healthz')).status).toBe(200);
  });

  it('refuses path traversal, encoded or not, and symlinks out of the root', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%2fsecret.txt', '/assets/..%5c..%5csecret.txt', '/%00index.html', '/%zz', '/leak.txt']) {
      const r = await http(gw.server.url, path);
      expect([path, r.status]).toEqual([path, 404]);
      expect(r.body).not.toContain('TOP SECRET');
    }
  });

  it('exposes metrics in the Prometheus text format, fed from the bus and the engine (predictions and decisions by the engine only)', async () => {
    const s = gw.subjects;
    const ts = 1_700_000_000_000;
    for (let i = 0; i < 3; i++) gw.bus.emit(s.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', symbol: 'BTC/USDT', i }));
    gw.bus.emit(s.bar('binance', 'ETH/USDT', '1h'), json({ type: 'md.bar' }));
    gw.bus.emit(s.prediction('dirmlp', 'binance', 'BTC/USDT'), json({ type: 'prediction' }));
    gw.bus.emit(s.prediction('dirmlp', 'binance', 'ETH/USDT'), json({ type: 'prediction' }));
    gw.bus.emit(s.order('dirmlp', 'binance', 'BTC/USDT'), json({ type: 'exec.order' }));
    gw.bus.emit(s.order('dirmlp', 'binance', 'ETH/USDT'), json({ type: 'exec.order' }));
    gw.bus.emit(s.reject('dirmlp', 'binance', 'BTC/USDT'), json({ type: 'exec.reject' }));
    gw.bus.emit(s.riskState(), json({ type: 'risk.state', v: 1, id: 'rs1', ts, account: 'paper', state: 'HALTED', previous: 'ACTIVE', reason: 'operator', scopedHalts: [] }));
    const model = { type: 'model.event', v: 1, ts, name: 'direction-mlp', alias: 'production', actor: 'ctl', reason: '' };
    gw.bus.emit(s.model('direction-mlp', 'promoted'), json({ ...model, id: 'm1', event: 'promoted', version: 3, previousVersion: 2 }));
    gw.bus.emit(s.model('direction-mlp', 'registered'), json({ ...model, id: 'm2', event: 'registered', version: 4, alias: null, previousVersion: null }));
    gw.bus.emit(s.dlq('asset'), json({ type: 'dlq.entry', v: 1, id: 'd1', source: 'asset', reason: 'SCHEMA', detail: 'price: required', subject: 'x', payload: '{}', ts }));
    gw.bus.emit(s.riskState(), json({ not: 'a risk state' })); // counted as a message, changes no state
    await gw.bus.flush();
    gw.metrics.observeStage('decode', 0.4);
    gw.metrics.observeStage('decode', 3);
    gw.metrics.consumerLag('asset_binance_BTC_USDT', 42);
    const feed = await connectFeed(gw.wsUrl, { token: VIEWER });

    const scrape = async (): Promise<ReturnType<typeof parsePromText>> => {
      const r = await http(gw.server.url, '/metrics');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      return parsePromText(r.body);
    };
    let m = await scrape();
    for (let i = 0; i < 100 && sampleValue(m, 'sextant_refusals_total', { reason: 'SCHEMA' }) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      m = await scrape();
    }
    const p = s.prefix;
    expect(sampleValue(m, 'sextant_messages_in_total', { subject: `${p}.md.binance.BTC-USDT.trade` })).toBe(3);
    expect(sampleValue(m, 'sextant_messages_in_total', { subject: `${p}.md.binance.ETH-USDT.bar.1h` })).toBe(1);
    expect(sampleValue(m, 'sextant_messages_in_total', { subject: `${p}.risk.state` })).toBe(2);
    // Predictions and decisions seen on the bus are not counted: the engine counts its own, once each,
    // as their stream stores them (a publish the stream drops as a duplicate is on the bus too).
    expect(sampleValue(m, 'sextant_messages_in_total', { subject: `${p}.pred.dirmlp.binance.BTC-USDT` })).toBe(1);
    expect(sampleValue(m, 'sextant_predictions_total', { strategy: 'dirmlp' })).toBeUndefined();
    expect(sampleValue(m, 'sextant_orders_total', { outcome: 'approved' })).toBe(0);
    expect(sampleValue(m, 'sextant_orders_total', { outcome: 'rejected' })).toBe(0);
    expect(sampleValue(m, 'sextant_risk_state', { state: 'HALTED' })).toBe(1);
    expect(sampleValue(m, 'sextant_risk_state', { state: 'ACTIVE' })).toBe(0);
    // A promotion on the bus is where the registry moved the alias, not what an engine serves (it may
    // have refused it): the gauge is read off the engine (test/cli/served-model-metric.test.ts), none here.
    expect(sampleValue(m, 'sextant_model_version', { name: 'direction-mlp', alias: 'production' })).toBeUndefined();
    expect(sampleValue(m, 'sextant_refusals_total', { reason: 'SCHEMA', source: 'asset' })).toBe(1);
    expect(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'decode' })).toBe(2);
    expect(sampleValue(m, 'sextant_stage_latency_seconds_bucket', { stage: 'decode', le: '0.0005' })).toBe(1);
    expect(sampleValue(m, 'sextant_stage_latency_seconds_bucket', { stage: 'decode', le: '+Inf' })).toBe(2);
    expect(sampleValue(m, 'sextant_stage_latency_seconds_count', { stage: 'publish' })).toBe(0);
    expect(sampleValue(m, 'sextant_consumer_lag', { durable: 'asset_binance_BTC_USDT' })).toBe(42);
    expect(sampleValue(m, 'sextant_ws_clients')).toBe(1);
    feed.ws.close();
    await feed.closed;
    await new Promise((r) => setTimeout(r, 50));
    expect(sampleValue(await scrape(), 'sextant_ws_clients')).toBe(0);
  });

  it('forwards POST /api/ctl/halt to the engine only with an operator token, audited as dashboard:<name>', async () => {
    const body = JSON.stringify({ reason: 'exchange incident', target: { scope: 'symbol', value: 'BTC/USDT' } });
    const post = (verb: string, headers: Record<string, string>, b = body): Promise<HttpReply> =>
      http(gw.server.url, `/api/ctl/${verb}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: b });

    const anonymous = await post('halt', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect((await post('halt', { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post('halt', { Authorization: `Bearer ${VIEWER}` })).status).toBe(403);
    expect((await post('halt', { Authorization: `Bearer ${OPERATOR}`, Origin: 'http://evil.example' })).status).toBe(403);
    expect(calls).toEqual([]);
    expect(await audit.recent(10)).toEqual([]);

    const ok = await post('halt', { Authorization: `Bearer ${OPERATOR}`, Origin: 'http://dash.example:8080' });
    expect(ok.status).toBe(200);
    const reply = JSON.parse(ok.body) as { v: number; ok: boolean; id: string; result: unknown };
    expect(reply).toMatchObject({ v: 1, ok: true, result: { state: 'HALTED' } });
    expect(calls).toEqual(['halt symbol exchange incident by dashboard:ops']);
    const [entry] = await audit.recent(1);
    expect(entry).toMatchObject({ operator: 'dashboard:ops', verb: 'halt', outcome: 'ok', requestId: reply.id });

    const status = await post('status', { Authorization: `Bearer ${OPERATOR}` }, '');
    expect([status.status, JSON.parse(status.body)]).toEqual([200, { v: 1, id: expect.any(String) as string, ok: true, result: { state: 'HALTED' } }]);
    // The engine refuses a halt without a reason: its error comes back with a 400.
    const bad = await post('halt', { Authorization: `Bearer ${OPERATOR}` }, '{"args":{}}');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect((await post('halt', { Authorization: `Bearer ${OPERATOR}` }, '{oops')).status).toBe(400);
    // A body over 64 KiB: the client gets the 413 (the socket was torn down before it could).
    const big = await post('halt', { Authorization: `Bearer ${OPERATOR}` }, JSON.stringify({ reason: 'x'.repeat(200_000) }));
    expect([big.status, big.headers.connection]).toEqual([413, 'close']);
    expect(JSON.parse(big.body)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'request body over 65536 bytes' } });
    expect((await post('limits.set', { Authorization: `Bearer ${OPERATOR}` })).status).toBe(404);
    // Reduce-only goes through too, account-wide with a reason.
    const reduce = await post('reduce', { Authorization: `Bearer ${OPERATOR}` }, '{"reason":"flatten"}');
    expect([reduce.status, JSON.parse(reduce.body)]).toMatchObject([200, { ok: true, result: { state: 'REDUCING' } }]);
    expect(calls.at(-1)).toBe('reduce flatten by dashboard:ops');
    expect((await http(gw.server.url, '/api/ctl/halt', { headers: { Authorization: `Bearer ${OPERATOR}` } })).status).toBe(405);

    // No engine answering: 503, nothing pretends to have worked.
    control?.unsubscribe();
    control = undefined;
    await gw.bus.flush();
    const none = await post('resume', { Authorization: `Bearer ${OPERATOR}` }, '{"reason":"all clear"}');
    expect(none.status).toBe(503);
    expect(JSON.parse(none.body)).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(calls.filter((c) => c.startsWith('resume'))).toEqual([]);
  });

  it('answers POST /api/ctl and /api/ctl/ (no verb) as the control route answers an unknown verb, not 405 Allow: GET, HEAD', async () => {
    for (const path of ['/api/ctl', '/api/ctl/']) {
      const r = await http(gw.server.url, path, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${OPERATOR}` }, body: '{}' });
      expect([path, r.status, r.headers.allow, JSON.parse(r.body)]).toEqual([path, 404, undefined, { v: 1, id: '?', ok: false, error: { code: 'UNKNOWN_VERB', message: 'the dashboard may send halt, resume, reduce, status' } }]);
      // The same checks as any verb: no token → 401, and a GET → 405 with Allow: POST.
      expect((await http(gw.server.url, path, { method: 'POST', body: '{}' })).status).toBe(401);
      const get = await http(gw.server.url, path, { headers: { Authorization: `Bearer ${OPERATOR}` } });
      expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
    }
  });
});
