import type { ChildProcess } from 'node:child_process';
import { AckPolicy, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DlqEntrySchema, ExpirySchema, expiryId, fillId, InboxRefusedError, publishExpiry, publishFill, subscribeOrders, subscribePredictions } from 'sextant/client';
import type { Order, Prediction } from 'sextant/client';
import { createPuller } from '../../client/pull.js';
import { startGatewayRuntime } from '../../cli/gateway-runtime.js';
import { natsBusOptions } from '../../cli/nats-options.js';
import { loadConfig } from '../../config/load.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { Bus } from '../../streams/bus.js';
import { BusError } from '../../streams/errors.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { busPatterns } from '../../gateways/ws/topics.js';
import { ctlRunner } from '../support/ctl.js';
import { stopNatsServer } from '../support/nats-server.js';
import { SHIPPED_NATS_PASSWORDS, startShippedNatsServer } from '../support/shipped-nats.js';

const PASSWORDS = SHIPPED_NATS_PASSWORDS;
const subjects = subjectsFor('sx');
const enc = new TextEncoder();
const dec = new TextDecoder();
const prediction = (): Prediction => ({
  type: 'pred',
  v: 1,
  id: 'p:s1:f:b:binance:ETH/USDT:1m:1704153600000',
  ts: 1_704_153_600_000,
  strategy: 's1',
  venue: 'binance',
  symbol: 'ETH/USDT',
  source: 'f:b:binance:ETH/USDT:1m:1704153600000',
  model: { name: 'direction-mlp', version: 3 },
  featureSpecHash: 'abc123',
  horizonMs: 900_000,
  probs: { down: 0.2, flat: 0.3, up: 0.5 },
  expectedReturn: 0.001,
  interval80: [-0.01, 0.012],
  interval95: [-0.02, 0.022],
  attributions: [{ feature: 'rsi_14', contribution: 0.0004 }],
  confidence: 0.5,
  price: 2_300,
  intent: { target: 0.5 },
});
const approved: Order = {
  type: 'exec.order',
  v: 1,
  id: 'o:s:s1:BTC/USDT:1',
  ts: 1_704_153_600_000,
  strategy: 's1',
  venue: 'binance',
  symbol: 'BTC/USDT',
  suggestionId: 's:s1:BTC/USDT:1',
  side: 'buy',
  qty: 0.01,
  orderType: 'limit',
  limitPrice: 42_000,
  expiresAt: 1_704_153_660_000,
  reducing: false,
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('deploy/nats/sextant.conf on a real nats-server', () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'sextant-nats-perm-'));
  let server: ChildProcess | undefined;
  let url = '';
  const buses: Bus[] = [];
  const conns: NatsConnection[] = [];
  /** A plain nats.js connection, as a live trading consumer or a dashboard opens one for sextant/client, with its user's inboxes. */
  const client = async (user: string, pass: string, inboxPrefix = `_INBOX_${user}`): Promise<NatsConnection> => {
    const nc = await connect({ servers: url, name: `perm-client-${user}`, user, pass, inboxPrefix });
    conns.push(nc);
    return nc;
  };
  const as = async (user: string, pass: string): Promise<Bus> => {
    const b = await createNatsBus({ url, name: `perm-${user}`, connectTimeoutMs: 3000, requestTimeoutMs: 2000, user, pass, inboxPrefix: `_INBOX_${user}` });
    buses.push(b);
    return b;
  };
  let engine: Bus;
  let operator: Bus;
  let dashboard: Bus;
  const orders: string[] = [];
  const ctlSeen: string[] = [];

  beforeAll(async () => {
    ({ server, url } = await startShippedNatsServer(storeDir));
    engine = await as('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    operator = await as('operator', PASSWORDS.SEXTANT_OPERATOR_PASSWORD);
    dashboard = await as('dashboard', PASSWORDS.SEXTANT_DASHBOARD_PASSWORD);
    const target = {
      status: () => ({ state: 'ACTIVE' }),
      halt: () => ({ state: 'HALTED' }),
      resume: () => ({ state: 'ACTIVE' }),
      reduce: () => ({ state: 'REDUCING' }),
      getLimits: () => ({}),
      setLimits: () => ({}),
      listModels: async () => [],
      deployModel: async () => ({}),
      rollbackModel: async () => ({}),
      removeModelAlias: async () => ({}),
    };
    startControlServer({ bus: engine, subjects, target, audit: createMemoryAuditStore(), clock: createSimulatedClock(0), log: silentLogger });
    engine.subscribe('sx.exec.order.>', (s, d) => orders.push(`${s}=${dec.decode(d)}`));
    engine.subscribe('sx.ctl.>', (s) => ctlSeen.push(s));
    await engine.flush();
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    for (const b of buses) await b.close().catch(() => {});
    if (server !== undefined) await stopNatsServer(server);
    rmSync(storeDir, { recursive: true, force: true });
  });

  const request = (bus: Bus, verb: string): Promise<string> =>
    bus.request(subjects.control(verb), enc.encode(JSON.stringify({ v: 1, id: `q-${verb}`, operator: 'test', args: {} })), 1500).then((r) => dec.decode(r));

  it('refuses a user without the right password', async () => {
    await expect(createNatsBus({ url, name: 'intruder', connectTimeoutMs: 1500, user: 'operator', pass: 'wrong' })).rejects.toThrow(/cannot connect/);
  });

  it('lets operators send control commands, answered by the engine', async () => {
    expect(JSON.parse(await request(operator, 'status'))).toMatchObject({ ok: true, result: { state: 'ACTIVE' } });
  });

  /** Subscribes `nc` to each subject: those the server refused (Permissions Violation), once it has answered. */
  const refusedOf = async (nc: NatsConnection, subs: readonly string[]): Promise<string[]> => {
    const refused: string[] = [];
    for (const subject of subs) nc.subscribe(subject, { callback: (e) => void (e !== null && /Permissions Violation/i.test(e.message) && refused.push(subject)) });
    await nc.flush();
    await sleep(100);
    return refused;
  };

  it("keeps the dashboard and the desk from reading control requests and every other login's replies", async () => {
    const dash = await client('dashboard', PASSWORDS.SEXTANT_DASHBOARD_PASSWORD);
    const desk = await client('desk', PASSWORDS.SEXTANT_DESK_PASSWORD);
    const seen: string[] = [];
    // What the server lets through is recorded, what it refuses is reported to the subscription.
    for (const nc of [dash, desk]) for (const s of ['sx.>', 'sx.ctl.>', '>']) nc.subscribe(s, { callback: (e, m) => void (e === null && seen.push(`${s} got ${m.subject}`)) });
    const others = ['_INBOX.>', '_INBOX_operator.>', '_INBOX_engine.>', '_INBOX_desk.>', '_INBOX_dashboard.>'];
    for (const nc of [dash, desk]) for (const s of others) nc.subscribe(s, { callback: (e, m) => void (e === null && seen.push(`${s} got ${m.subject}`)) });
    await Promise.all([dash.flush(), desk.flush()]);
    // An operator's request (name, reason) and the engine's reply to its inbox.
    const halt = JSON.stringify({ v: 1, id: 'q-sniffed', operator: 'alice', args: { target: { scope: 'all' }, reason: 'secret reason' } });
    expect(dec.decode(await operator.request(subjects.control('halt'), enc.encode(halt), 1500))).toContain('"ok":true');
    await sleep(200);
    // Only their own inboxes (which get nothing here): no control request, no reply of another login.
    expect(seen).toEqual([]);
    const ctl = ['sx.>', 'sx.ctl.>', 'sx.ctl.halt', '>'];
    expect(await refusedOf(await client('dashboard', PASSWORDS.SEXTANT_DASHBOARD_PASSWORD), [...ctl, ...others])).toEqual([...ctl, ...others.filter((s) => s !== '_INBOX_dashboard.>')]);
    expect(await refusedOf(await client('desk', PASSWORDS.SEXTANT_DESK_PASSWORD), [...ctl, ...others])).toEqual([...ctl, ...others.filter((s) => s !== '_INBOX_desk.>')]);
    expect(await refusedOf(await client('operator', PASSWORDS.SEXTANT_OPERATOR_PASSWORD), ['sx.ctl.>', '_INBOX.>', '_INBOX_engine.>', '_INBOX_operator.>'])).toEqual(['sx.ctl.>', '_INBOX.>', '_INBOX_engine.>']);
  });

  it('answers `sextant ctl status` under the operator login, its reply on the operator inboxes (--inbox-prefix default)', async () => {
    const r = await ctlRunner(url, () => 'sx')('--user', 'operator', '--password', PASSWORDS.SEXTANT_OPERATOR_PASSWORD, 'status');
    expect(r).toMatchObject({ status: 0, out: { state: 'ACTIVE' } });
  });

  it('keeps control commands from the dashboard and from the engine itself', async () => {
    const before = ctlSeen.length;
    await expect(request(dashboard, 'halt')).rejects.toThrow();
    await expect(request(engine, 'halt')).rejects.toThrow();
    await sleep(100);
    expect(ctlSeen.length).toBe(before);
  });

  it('lets only the engine publish actionable orders', async () => {
    operator.emit('sx.exec.order.s1.binance.BTC-USDT', enc.encode('from-operator'));
    dashboard.emit('sx.exec.order.s1.binance.BTC-USDT', enc.encode('from-dashboard'));
    engine.emit('sx.exec.order.s1.binance.BTC-USDT', enc.encode('from-engine'));
    await operator.flush().catch(() => {});
    await dashboard.flush().catch(() => {});
    await engine.flush();
    await sleep(200);
    expect(orders).toEqual(['sx.exec.order.s1.binance.BTC-USDT=from-engine']);
  });

  it('lets the dashboard login follow every subject the websocket feed relays and read the stored orders, as the gateway does', async () => {
    await engine.ensureStreams([{ name: 'SIGNALS', subjects: ['sx.pred.>', 'sx.exec.>'], maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'memory' }]);
    try {
      const got: string[] = [];
      const subs = busPatterns(subjects).map((p) => dashboard.subscribe(p, (subject) => got.push(subject)));
      await dashboard.flush();
      const sent = ['sx.md.binance.BTC-USDT.trade', 'sx.feat.binance.BTC-USDT', 'sx.pred.s1.binance.BTC-USDT', 'sx.exec.reject.s1.binance.BTC-USDT', 'sx.exec.fill.binance.BTC-USDT', 'sx.exec.expired.binance.BTC-USDT', 'sx.risk.state', 'sx.model.direction-mlp.promoted'];
      for (const subject of sent) engine.emit(subject, enc.encode('{}'));
      const orderSubject = subjects.order(approved.strategy, approved.venue, approved.symbol);
      await engine.publish(orderSubject, enc.encode(JSON.stringify(approved)), { msgId: approved.id });
      await engine.flush();
      await sleep(200);
      expect(got.sort()).toEqual([...sent, orderSubject].sort());
      const stored = await dashboard.readNewest('SIGNALS', 'sx.exec.order.>', { max: 10 });
      expect(stored.messages.map((m) => JSON.parse(dec.decode(m.data)) as unknown)).toEqual([approved]);
      for (const sub of subs) sub.unsubscribe();
    } finally {
      await engine.deleteStreams(['SIGNALS']);
    }
  });

  it("logs the engine in with the config's nats.user / nats.password, or with the credentials in nats.url", async () => {
    // nats.inboxPrefix of config/default.yaml: the engine user's inboxes in the shipped file
    const { inboxPrefix } = loadConfig().nats;
    const fromConfig = natsBusOptions({ url, connectTimeoutMs: 3000, user: 'engine', password: PASSWORDS.SEXTANT_ENGINE_PASSWORD, inboxPrefix }, 'perm-config');
    const fromUrl = natsBusOptions({ url: url.replace('nats://', `nats://engine:${PASSWORDS.SEXTANT_ENGINE_PASSWORD}@`), connectTimeoutMs: 3000, inboxPrefix }, 'perm-url');
    expect(fromUrl.display).toBe(url);
    for (const o of [fromConfig, fromUrl]) {
      const b = await createNatsBus(o);
      buses.push(b);
      b.emit('sx.exec.order.s1.binance.BTC-USDT', enc.encode(o.name));
      await b.flush();
    }
    // A request's reply (the engine's own presence answer here) comes in on that prefix.
    const presence = engine.serve(subjects.enginePresence(), () => enc.encode('me'));
    await engine.flush();
    expect(dec.decode(await (buses.at(-1) as Bus).request(subjects.enginePresence(), enc.encode('{}'), 1500))).toBe('me');
    presence.unsubscribe();
    await sleep(200);
    expect(orders).toContain('sx.exec.order.s1.binance.BTC-USDT=perm-config');
    expect(orders).toContain('sx.exec.order.s1.binance.BTC-USDT=perm-url');
    // Without a login the server refuses the engine outright.
    await expect(createNatsBus(natsBusOptions({ url, connectTimeoutMs: 1500 }, 'anonymous'))).rejects.toThrow(/cannot connect/);
  });

  it("sends the dashboard's control requests under the operator login of gateway.controlNats, never the engine's", async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'sextant-perm-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>x</title>');
    const base = loadConfig();
    const gateway = { ...base.gateway, enabled: true, host: '127.0.0.1', port: 0, staticDir, tokens: [{ name: 'desk', token: 'desk-token', role: 'operator' as const }] };
    const post = async (gwUrl: string): Promise<{ status: number; body: unknown }> => {
      const r = await fetch(`${gwUrl}/api/ctl/status`, { method: 'POST', headers: { authorization: 'Bearer desk-token' }, body: '{}' });
      return { status: r.status, body: (await r.json()) as unknown };
    };
    const withLogin = { ...base, nats: { ...base.nats, url }, gateway: { ...gateway, controlTimeoutMs: 1500, controlNats: { user: 'operator', password: PASSWORDS.SEXTANT_OPERATOR_PASSWORD, inboxPrefix: '_INBOX_operator' } } };
    const without = { ...base, nats: { ...base.nats, url }, gateway: { ...gateway, controlTimeoutMs: 1500 } };
    const a = await startGatewayRuntime(withLogin, engine, {}, silentLogger, { env: {} });
    const b = await startGatewayRuntime(without, engine, {}, silentLogger, { env: {} });
    try {
      expect(await post(a.server.url)).toMatchObject({ status: 200, body: { ok: true, result: { state: 'ACTIVE' } } });
      expect((await post(b.server.url)).status).toBe(503); // the engine's own login may not publish sx.ctl.>
      // The control login is its own NATS connection: on /metrics beside the engine's, by client name.
      expect(await a.metrics.text()).toMatch(new RegExp(`^sextant_nats_connected\\{connection="${base.nats.name}-control"\\} 1$`, 'm'));
      expect(await b.metrics.text()).not.toMatch(/-control"/);
    } finally {
      await a.close();
      await b.close();
      rmSync(staticDir, { recursive: true, force: true });
    }
  });

  it("lets the dashboard follow predictions with sextant/client (it could not look its durable up) and keeps it from deleting the engine's durables", async () => {
    const engineNc = await client('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    const ejsm = await jetstreamManager(engineNc);
    await ejsm.streams.add({ name: 'SIGNALS', subjects: ['sx.pred.>', 'sx.exec.>'], storage: StorageType.Memory });
    try {
      await ejsm.consumers.add('SIGNALS', { durable_name: 'fills_main', ack_policy: AckPolicy.Explicit, filter_subject: 'sx.exec.fill.>' });
      const p = prediction();
      await engine.publish(subjects.prediction(p.strategy, p.venue, p.symbol), enc.encode(JSON.stringify(p)), { msgId: p.id });
      const dashNc = await client('dashboard', PASSWORDS.SEXTANT_DASHBOARD_PASSWORD);
      const sub = await subscribePredictions(dashNc, { durable: 'dash-preds', strategy: p.strategy, onInvalid: () => {} });
      const got: string[] = [];
      for await (const x of sub) {
        got.push(x.id);
        break;
      }
      expect(got).toEqual([p.id]);
      await expect((await jetstreamManager(dashNc)).consumers.delete('SIGNALS', 'fills_main')).rejects.toThrow(/Permissions Violation/);
      expect((await ejsm.consumers.info('SIGNALS', 'fills_main')).name).toBe('fills_main');
    } finally {
      await ejsm.streams.delete('SIGNALS');
    }
  });

  it('lets a desk take approved orders, report its fills and dead-letter what it refuses with sextant/client, and nothing the engine or operators send', async () => {
    const engineNc = await client('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    const ejsm = await jetstreamManager(engineNc);
    await ejsm.streams.add({ name: 'SIGNALS', subjects: ['sx.pred.>', 'sx.exec.>'], storage: StorageType.Memory });
    await ejsm.streams.add({ name: 'DLQ', subjects: ['sx.dlq.>'], storage: StorageType.Memory });
    try {
      const orderSubject = subjects.order(approved.strategy, approved.venue, approved.symbol);
      await engine.publish(orderSubject, enc.encode('{"type":"exec.order"'), { msgId: 'bad-json' });
      await engine.publish(orderSubject, enc.encode(JSON.stringify(approved)), { msgId: approved.id });
      const desk = await client('desk', PASSWORDS.SEXTANT_DESK_PASSWORD);
      // refused ones to sx.dlq.client (the default); the desk's clock at the order's time, when it still works
      const sub = await subscribeOrders(desk, { durable: 'desk-1', strategy: 's1', now: () => approved.ts });
      const got: Order[] = [];
      for await (const o of sub) {
        got.push(o);
        break;
      }
      expect(got).toEqual([approved]);
      const fill = { type: 'exec.fill', v: 1, id: fillId(approved.id, 0), ts: approved.ts + 1_000, orderId: approved.id, strategy: 's1', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.4, liquidity: 'maker', slippageBps: 0, final: true } as const;
      const ack = await publishFill(desk, fill);
      expect(ack.stream).toBe('SIGNALS');
      const stored = await ejsm.streams.getMessage('SIGNALS', { last_by_subj: subjects.fill('binance', 'BTC/USDT') });
      expect(stored?.json()).toEqual(fill);
      const dead = await ejsm.streams.getMessage('DLQ', { last_by_subj: subjects.dlq('client') });
      expect(DlqEntrySchema.parse(dead?.json())).toMatchObject({ source: 'client', subject: orderSubject, reason: 'MALFORMED_JSON' });

      const md: string[] = [];
      engineNc.subscribe('sx.md.>', { callback: (_e, m) => void md.push(m.subject) });
      await engineNc.flush();
      const before = { orders: orders.length, ctl: ctlSeen.length };
      desk.publish('sx.exec.order.s1.binance.BTC-USDT', 'from-desk');
      desk.publish('sx.ctl.halt', '{}');
      desk.publish('sx.md.binance.BTC-USDT.trade', '{}');
      await desk.flush().catch(() => {});
      await sleep(200);
      expect({ orders: orders.length, ctl: ctlSeen.length, md }).toEqual({ ...before, md: [] });
      expect((await ejsm.streams.info('SIGNALS')).state.messages).toBe(3); // two orders and the fill
    } finally {
      await ejsm.streams.delete('SIGNALS');
      await ejsm.streams.delete('DLQ');
    }
  });

  it("lets a desk report what its exchange cancelled or expired with publishExpiry, and the engine its paper venue's expiries, which the dashboard follows and may not publish", async () => {
    const engineNc = await client('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    const ejsm = await jetstreamManager(engineNc);
    await ejsm.streams.add({ name: 'SIGNALS', subjects: ['sx.pred.>', 'sx.exec.>'], storage: StorageType.Memory });
    try {
      const dashNc = await client('dashboard', PASSWORDS.SEXTANT_DASHBOARD_PASSWORD);
      const seen: string[] = [];
      dashNc.subscribe('sx.exec.expired.>', { callback: (_e, m) => void seen.push(`${m.subject}=${ExpirySchema.parse(m.json()).orderId}`) });
      await dashNc.flush();
      const subject = subjects.expired('binance', 'BTC/USDT');
      const report = { ts: approved.ts + 30_000, orderId: approved.id, strategy: 's1', venue: 'binance', symbol: 'BTC/USDT', filledQty: 0, remainingQty: 0.01, reason: 'venue' } as const;
      const desk = await client('desk', PASSWORDS.SEXTANT_DESK_PASSWORD);
      expect(await publishExpiry(desk, report, { timeoutMs: 2000 })).toMatchObject({ stream: 'SIGNALS', duplicate: false });
      const paper = { type: 'exec.expired', v: 1, id: expiryId('o:paper'), ...report, orderId: 'o:paper', reason: 'ttl' } as const;
      await engine.publish(subject, enc.encode(JSON.stringify(paper)), { msgId: paper.id });
      dashboard.emit(subject, enc.encode(JSON.stringify({ ...paper, id: expiryId('o:dash'), orderId: 'o:dash' })));
      await dashboard.flush().catch(() => {});
      await sleep(200);
      expect(seen).toEqual([`${subject}=${approved.id}`, `${subject}=o:paper`]);
      expect((await ejsm.streams.info('SIGNALS')).state.messages).toBe(2);
    } finally {
      await ejsm.streams.delete('SIGNALS');
    }
  });

  /** How long `p` took to settle, and its error. */
  const failure = async (p: Promise<unknown>): Promise<{ ms: number; error: unknown }> => {
    const t0 = performance.now();
    const error = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    return { ms: performance.now() - t0, error };
  };

  it("tells a desk left on nats.js's default _INBOX, at once, that its inbox was refused and to set inboxPrefix (publishFill, subscribeOrders, a pull)", async () => {
    const engineNc = await client('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    const ejsm = await jetstreamManager(engineNc);
    await ejsm.streams.add({ name: 'SIGNALS', subjects: ['sx.pred.>', 'sx.exec.>'], storage: StorageType.Memory });
    try {
      await ejsm.consumers.add('SIGNALS', { durable_name: 'desk-old', ack_policy: AckPolicy.Explicit, filter_subject: 'sx.exec.order.>' });
      const desk = await client('desk', PASSWORDS.SEXTANT_DESK_PASSWORD, '_INBOX'); // an existing desk: no inboxPrefix
      const clear = (f: { ms: number; error: unknown }): void => {
        expect(f.error).toBeInstanceOf(InboxRefusedError);
        expect((f.error as InboxRefusedError).subject).toMatch(/^_INBOX\.\S+$/);
        expect((f.error as Error).message).toContain(`"${(f.error as InboxRefusedError).subject}"`);
        expect((f.error as Error).message).toMatch(/inboxPrefix.*_INBOX_desk/);
        expect(f.ms).toBeLessThan(1_500); // not a timeout (publishFill waits 5 s, a pull its 5 s long poll + 2 s)
      };
      const fill = { type: 'exec.fill', v: 1, id: fillId('o:old', 0), ts: approved.ts, orderId: 'o:old', strategy: 's1', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.4, liquidity: 'maker', slippageBps: 0, final: true } as const;
      const sent = await failure(publishFill(desk, fill));
      clear(sent);
      // The server refused the reply inbox but took the fill itself: said so, and a retry with the same id is deduplicated.
      expect((sent.error as Error).message).toMatch(/fill was sent and may have been stored: send it again with the same id/);
      clear(await failure(subscribeOrders(desk, { durable: 'desk-old', strategy: 's1' })));
      // The pull of a subscription (its durable already in place): its own inbox subscription refused.
      const puller = createPuller(desk, { stream: 'SIGNALS', durable: 'desk-old', batch: 1, expiresMs: 5_000 });
      clear(await failure(puller.pull()));
      clear(await failure(puller.pull())); // and every pull after it, at once
      puller.close();
      expect((await ejsm.streams.info('SIGNALS')).state.messages).toBe(1);
    } finally {
      await ejsm.streams.delete('SIGNALS');
    }
  });

  it("fails the engine's publishes and requests at once when its inbox prefix is not its login's, naming nats.inboxPrefix", async () => {
    await engine.ensureStreams([{ name: 'INBOXED', subjects: ['sx.exec.fill.>'], maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'memory' }]);
    try {
      // An engine started without nats.inboxPrefix (nats.js's _INBOX): its acknowledgement subscription is refused.
      const old = await createNatsBus({ url, name: 'perm-engine-old', connectTimeoutMs: 3000, requestTimeoutMs: 5_000, user: 'engine', pass: PASSWORDS.SEXTANT_ENGINE_PASSWORD });
      buses.push(old);
      for (const f of [await failure(old.publish('sx.exec.fill.binance.BTC-USDT', enc.encode('{}'), { msgId: 'f1' })), await failure(old.request(subjects.enginePresence(), enc.encode('{}'), 5_000))]) {
        expect(f.error).toBeInstanceOf(BusError);
        expect((f.error as BusError).retryable).toBe(false);
        expect((f.error as Error).message).toMatch(/reply inbox "_INBOX\.\S+".*_INBOX_engine.*nats\.inboxPrefix/);
        expect((f.error as Error).message).toMatch(/^(publish to sx\.exec\.fill\.binance\.BTC-USDT failed, it may or may not be stored|request on sx\.engine)/);
        expect(f.ms).toBeLessThan(1_500);
      }
      const later = await failure(old.publish('sx.exec.fill.binance.BTC-USDT', enc.encode('{}'), { msgId: 'f2' }));
      expect((later.error as Error).message).toMatch(/^publish to sx\.exec\.fill\.binance\.BTC-USDT not sent: NATS refused/);
      expect(later.ms).toBeLessThan(100);
    } finally {
      await engine.deleteStreams(['INBOXED']);
    }
  });

  it('lets the engine use JetStream and keeps the dashboard from changing streams', async () => {
    await engine.ensureStreams([{ name: 'PERM', subjects: ['sx.exec.>'], maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'memory' }]);
    const ack = await engine.publish('sx.exec.order.s1.binance.BTC-USDT', enc.encode('durable'), { msgId: 'o1' });
    expect(ack.seq).toBe(1);
    await expect(dashboard.deleteStreams(['PERM'])).rejects.toThrow();
    expect(await engine.countMessages('PERM')).toBe(1);
  });
});
