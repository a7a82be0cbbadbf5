import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig, GatewayToken } from '../../../gateways/http/gateway-config.js';
import { startGatewayServer } from '../../../gateways/http/gateway-server.js';
import type { GatewayServerOptions } from '../../../gateways/http/gateway-server.js';
import { isLoopbackAddress, METRICS_TOKEN_REQUIRED } from '../../../gateways/http/metrics-access.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createHub } from '../../../gateways/ws/hub.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { OPERATOR, rawUpgrade, testGatewayConfig, VIEWER } from '../ws/gateway-harness.js';
import { recordingLogger } from '../../support/recording-logger.js';
import type { LogLine } from '../../support/recording-logger.js';

const SCRAPER = 'prometheus-scrape-token';
const withScraper = (): GatewayToken[] => [...testGatewayConfig().tokens, { name: 'prometheus', role: 'metrics', token: SCRAPER }];

describe('GET /metrics behind an optional metrics token', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const start = async (over: Partial<GatewayConfig>, lines: LogLine[] = [], env: NodeJS.ProcessEnv = {}, health: Pick<GatewayServerOptions, 'probes' | 'nats'> = { probes: {} }): Promise<string> => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('mt');
    const config = testGatewayConfig(over);
    const log = recordingLogger(lines);
    const hub = createHub({ bus, subjects, limits: config, heartbeatMs: config.heartbeatMs, log });
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const server = await startGatewayServer({ config, hub, metrics, ...health, bus, subjects, log, env });
    cleanup.push(() => bus.close(), () => hub.close(), () => server.close());
    return server.url;
  };
  const scrape = (url: string, token?: string): Promise<Response> => fetch(`${url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  it('is open while no metrics token is configured', async () => {
    const url = await start({});
    const res = await scrape(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('sextant_');
  });

  it('answers 401 without the metrics token, with a wrong one or another role\'s, and 200 with it; health probes stay open', async () => {
    const url = await start({ tokens: withScraper() });
    for (const token of [undefined, 'guessed', VIEWER, OPERATOR]) {
      const res = await scrape(url, token);
      expect(res.status, `token ${token ?? 'none'}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.text()).not.toContain('sextant_');
    }
    // A query token is not taken: it would land in access logs.
    expect((await fetch(`${url}/metrics?token=${SCRAPER}`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { method: 'HEAD' })).status).toBe(401);
    const ok = await scrape(url, SCRAPER);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toContain('sextant_');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('takes the token from ${VAR}: unset, /metrics stays open', async () => {
    const tokens: GatewayToken[] = [...testGatewayConfig().tokens, { name: 'prometheus', role: 'metrics', token: '${SEXTANT_METRICS_TOKEN}' }];
    const open = await start({ tokens });
    expect((await scrape(open)).status).toBe(200);
    const closed = await start({ tokens }, [], { SEXTANT_METRICS_TOKEN: SCRAPER });
    expect((await scrape(closed)).status).toBe(401);
    expect((await scrape(closed, SCRAPER)).status).toBe(200);
  });

  it('gives a metrics token nothing else: no feed, no control', async () => {
    const url = await start({ tokens: withScraper() });
    const ws = await rawUpgrade(`${url.replace('http:', 'ws:')}/ws?token=${SCRAPER}`);
    if (ws.upgraded) ws.socket.destroy();
    expect(ws.upgraded ? 101 : ws.status).toBe(401);
    expect((await fetch(`${url}/ws?token=${SCRAPER}`)).status).toBe(401);
    const ctl = await fetch(`${url}/api/ctl/halt`, { method: 'POST', headers: { authorization: `Bearer ${SCRAPER}` }, body: '{"reason":"x"}' });
    expect(ctl.status).toBe(403);
  });

  it('warns when it listens beyond the loopback with /metrics open, not with a metrics token or on 127.0.0.1', async () => {
    const warned = (lines: LogLine[]): LogLine[] => lines.filter((l) => l.level === 'warn' && l.msg.includes('GET /metrics needs no token'));
    const open: LogLine[] = [];
    await start({ host: '0.0.0.0' }, open);
    expect(warned(open)).toHaveLength(1);
    expect(warned(open)[0]?.msg).toContain('SEXTANT_METRICS_TOKEN');
    expect(warned(open)[0]?.fields['address']).toBe('0.0.0.0');
    const guarded: LogLine[] = [];
    await start({ host: '0.0.0.0', tokens: withScraper() }, guarded);
    expect(warned(guarded)).toEqual([]);
    const local: LogLine[] = [];
    await start({}, local);
    expect(warned(local)).toEqual([]);
    expect(local.some((l) => l.msg === 'gateway listening')).toBe(true);
  });

  it('keeps the reasons of /readyz and /healthz (a PostgreSQL address and user, the NATS server) from callers without the metrics token: same status code, in the log, in full with the token', async () => {
    const REDIS_REFUSED = 'connect ECONNREFUSED 10.20.30.40:6379';
    const PG_AUTH = 'password authentication failed for user "sextant_prod"';
    const NATS_DOWN = { connected: false, since: '2026-01-01T00:00:00.000Z', disconnects: 1, reconnects: 0, lastOutage: { at: '2026-01-01T00:00:00.000Z', until: null, ms: 4_000, server: '10.20.30.41:4222', error: 'read ECONNRESET' } };
    const health = { probes: { postgres: () => Promise.reject(new Error(PG_AUTH)), redis: () => Promise.reject(new Error(REDIS_REFUSED)), nats: async () => true }, nats: () => NATS_DOWN };
    const lines: LogLine[] = [];
    const url = await start({ tokens: withScraper() }, lines, {}, health);
    const get = (path: string, token?: string): Promise<Response> => fetch(`${url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    const text = await ready.text();
    for (const secret of ['10.20.30.40', '6379', 'sextant_prod', 'ECONNREFUSED', 'password']) expect(text, secret).not.toContain(secret);
    expect(JSON.parse(text)).toMatchObject({ status: 'unavailable', failed: ['postgres', 'redis'], checks: { postgres: { ok: false }, redis: { ok: false }, nats: { ok: true } } });
    const healthz = await get('/healthz');
    expect(healthz.status).toBe(200);
    const h = await healthz.text();
    for (const secret of ['10.20.30.41', '4222', 'ECONNRESET']) expect(h, secret).not.toContain(secret);
    expect(JSON.parse(h)).toEqual({ status: 'degraded', nats: { ...NATS_DOWN, lastOutage: { at: NATS_DOWN.lastOutage.at, until: null, ms: 4_000 } } });
    const full = await get('/readyz', SCRAPER);
    expect(full.status).toBe(503);
    expect(await full.json()).toMatchObject({ checks: { postgres: { ok: false, error: PG_AUTH }, redis: { ok: false, error: REDIS_REFUSED } } });
    expect(await (await get('/healthz', SCRAPER)).json()).toEqual({ status: 'degraded', nats: NATS_DOWN });
    // The log says why once, not once a probe.
    const said = lines.filter((l) => l.msg.startsWith('not ready'));
    expect(said).toHaveLength(1);
    expect(said[0]?.fields['reasons']).toEqual({ postgres: PG_AUTH, redis: REDIS_REFUSED });
    // No metrics token configured: the reasons to anyone, as /metrics.
    const open = await start({}, [], {}, health);
    expect(await (await fetch(`${open}/readyz`)).json()).toMatchObject({ checks: { postgres: { error: PG_AUTH } } });
  });

  it('refuses another token on /healthz and /readyz as /metrics does (401, the same limiter: 429 on /metrics too once locked out), so the short body tells no guess from the token; no token keeps the public body', async () => {
    const PG_AUTH = 'password authentication failed for user "sextant_prod"';
    const health = { probes: { postgres: () => Promise.reject(new Error(PG_AUTH)), nats: async () => true }, nats: () => ({ connected: true, since: '2026-01-01T00:00:00.000Z', disconnects: 0, reconnects: 0, lastOutage: null }) };
    const lines: LogLine[] = [];
    // A guess, a viewer's and an operator's token: the limit is reached on the probes alone.
    const wrong = ['guessed', VIEWER, OPERATOR];
    const url = await start({ tokens: withScraper(), authFailureLimit: { maxFailures: wrong.length, windowMs: 60_000 } }, lines, {}, health);
    const get = (path: string, token?: string): Promise<Response> => fetch(`${url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    for (const [i, token] of wrong.entries()) {
      const res = await get(i % 2 === 0 ? '/readyz' : '/healthz', token);
      expect(res.status, `token ${token}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual(METRICS_TOKEN_REQUIRED);
    }
    // The guesses on the probes locked the address out of /metrics too: one window for all of them.
    const locked = await get('/metrics', 'guessed-again');
    expect(locked.status).toBe(429);
    expect((await get('/readyz', 'guessed-again')).status).toBe(429);
    expect(lines.filter((l) => l.level === 'warn' && l.fields['where'] === 'metrics')).toHaveLength(1);
    // An orchestrator's probe (no Authorization) from the same address: the public body, the same status codes.
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(text).not.toContain('sextant_prod');
    expect(JSON.parse(text)).toMatchObject({ status: 'unavailable', failed: ['postgres'], checks: { postgres: { ok: false }, nats: { ok: true } } });
    expect((await get('/healthz')).status).toBe(200);
    // The metrics token still passes, in full.
    expect(await (await get('/readyz', SCRAPER)).json()).toMatchObject({ checks: { postgres: { error: PG_AUTH } } });
    expect((await get('/metrics', SCRAPER)).status).toBe(200);
  });

  it('tells loopback addresses from others', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '10.0.0.5', '::ffff:10.0.0.5', 'fe80::1']) expect(isLoopbackAddress(a), a).toBe(false);
  });
});
