import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectFeed, OPERATOR, rawUpgrade, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

describe('websocket feed access (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ config: { maxClients: 3 } });
    // Something a connected client would be sent at once on subscribe.
    gw.hub.publishLocal('pnl', 'account', { realised: 12.5 });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('refuses an upgrade without a token with HTTP 401 and sends no websocket data', async () => {
    const r = await rawUpgrade(gw.wsUrl);
    expect(r.upgraded).toBe(false);
    if (r.upgraded) return;
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expect(r.body).toBe('unknown or missing token\n');
  });

  it('refuses an unknown token (query or header) with 401', async () => {
    for (const r of [await rawUpgrade(`${gw.wsUrl}?token=nope`), await rawUpgrade(gw.wsUrl, { Authorization: 'Bearer nope' })]) {
      expect(r.upgraded).toBe(false);
      if (!r.upgraded) expect(r.status).toBe(401);
    }
    expect(gw.hub.clientCount()).toBe(0);
  });

  it('treats an empty ?token= as absent: a valid Authorization header still gets in (upgrade and HTTP)', async () => {
    const header = { Authorization: `Bearer ${VIEWER}` };
    const ok = await rawUpgrade(`${gw.wsUrl}?token=`, header);
    expect(ok.upgraded).toBe(true);
    if (ok.upgraded) ok.socket.destroy();
    await vi.waitFor(() => expect(gw.hub.clientCount()).toBe(0));
    const wrong = await rawUpgrade(`${gw.wsUrl}?token=nope`, header);
    expect(wrong.upgraded).toBe(false);
    if (!wrong.upgraded) expect(wrong.status).toBe(401);
    // The control endpoint reads the header: a viewer is known (403, not 401) whatever the query holds.
    const ctl = await fetch(`${gw.server.url}/api/ctl/halt?token=`, { method: 'POST', headers: { ...header, 'Content-Type': 'application/json' }, body: '{}' });
    expect(ctl.status).toBe(403);
  });

  it('answers a plain GET /ws as the upgrade would: 401 for an unknown or missing token, 426 for a known one', async () => {
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.server.url}${path}`, { headers });
    for (const r of [await get('/ws'), await get('/ws?token=nope'), await get('/ws', { Authorization: 'Bearer nope' }), await get(`/ws?token=nope`, { Authorization: `Bearer ${VIEWER}` })]) {
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await r.json()).toEqual({ error: 'unknown or missing token' });
    }
    for (const r of [await get(`/ws?token=${VIEWER}`), await get('/ws', { Authorization: `Bearer ${VIEWER}` }), await get('/ws?token=', { Authorization: `Bearer ${OPERATOR}` })]) {
      expect(r.status).toBe(426);
      expect(r.headers.get('upgrade')).toBe('websocket');
      expect(await r.json()).toEqual({ error: 'upgrade required' });
    }
    expect(gw.hub.clientCount()).toBe(0);
  });

  it('refuses an Origin outside the allowlist with 403, even with a good token', async () => {
    const r = await rawUpgrade(`${gw.wsUrl}?token=${VIEWER}`, { Origin: 'http://evil.example' });
    expect(r.upgraded).toBe(false);
    if (!r.upgraded) {
      expect(r.status).toBe(403);
      expect(r.body).not.toContain('realised');
    }
  });

  it('accepts an allowed Origin, the Authorization header, and a missing Origin', async () => {
    const a = await connectFeed(gw.wsUrl, { token: VIEWER, headers: { Origin: 'http://dash.example:8080' } });
    const b = await connectFeed(gw.wsUrl, { headers: { Authorization: `Bearer ${VIEWER}` } });
    a.send({ op: 'subscribe', topic: 'pnl' });
    const snap = await a.waitFor((m) => m.type === 'snapshot');
    expect(snap).toMatchObject({ type: 'snapshot', topic: 'pnl', key: 'account', seq: 1, data: { realised: 12.5 } });
    b.send({ op: 'ping' });
    expect((await b.waitFor((m) => m.type === 'pong')).type).toBe('pong');
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
  });

  it('refuses clients past maxClients with 503', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connectFeed(gw.wsUrl, { token: VIEWER })));
    const r = await rawUpgrade(`${gw.wsUrl}?token=${VIEWER}`);
    expect(r.upgraded).toBe(false);
    if (!r.upgraded) expect(r.status).toBe(503);
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
    await new Promise((r2) => setTimeout(r2, 50));
    expect(gw.hub.clientCount()).toBe(0);
  });

  it('does not upgrade other paths', async () => {
    const r = await rawUpgrade(gw.wsUrl.replace('/ws', '/other') + `?token=${VIEWER}`);
    expect(r.upgraded).toBe(false);
    if (!r.upgraded) expect(r.status).toBe(404);
  });
});

describe('websocket feed without allowMissingOrigin', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ config: { allowMissingOrigin: false } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('refuses a client that sends no Origin with 403', async () => {
    const r = await rawUpgrade(`${gw.wsUrl}?token=${VIEWER}`);
    expect(r.upgraded).toBe(false);
    if (!r.upgraded) expect(r.status).toBe(403);
    const ok = await rawUpgrade(`${gw.wsUrl}?token=${VIEWER}`, { Origin: 'http://DASH.example:8080/' });
    expect(ok.upgraded).toBe(true);
    if (ok.upgraded) ok.socket.destroy();
    await vi.waitFor(() => expect(gw.hub.clientCount()).toBe(0));
  });
});

describe('websocket feed with no tokens configured', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ config: { tokens: [] } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('is not an open feed: it refuses every upgrade, and GET /ws says so with 401 rather than 426', async () => {
    for (const url of [gw.wsUrl, `${gw.wsUrl}?token=${VIEWER}`]) {
      const r = await rawUpgrade(url);
      expect(r.upgraded ? 101 : r.status).toBe(401);
      expect((await fetch(url.replace('ws:', 'http:'))).status).toBe(401);
    }
  });
});
