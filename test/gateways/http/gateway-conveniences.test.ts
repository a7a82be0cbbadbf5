import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIsCurrent, dashboardBuildReason, STAMP_FILE } from '../../../gateways/dashboard/build-stamp.js';
import { startGatewayServer } from '../../../gateways/http/gateway-server.js';
import type { GatewayServer } from '../../../gateways/http/gateway-server.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createHub } from '../../../gateways/ws/hub.js';
import { createOriginCheck } from '../../../gateways/ws/origin-check.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { OPERATOR, rawUpgrade, startTestGateway, testGatewayConfig, VIEWER } from '../ws/gateway-harness.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('origin check: the gateway\'s own pages', () => {
  const check = createOriginCheck({ allowedOrigins: ['https://dash.example.com'], allowMissingOrigin: false }, { scheme: 'http', bindHost: '0.0.0.0' });

  it('admits an Origin equal to the Host on the gateway\'s scheme, on any port, for the machine\'s own names', () => {
    expect(check('http://127.0.0.1:41234', '127.0.0.1:41234')).toBe(true);
    expect(check('http://localhost:9999', 'localhost:9999')).toBe(true);
    expect(check('http://[::1]:8080', '[::1]:8080')).toBe(true);
    expect(check('http://10.1.2.3:8080', '10.1.2.3:8080')).toBe(true);
    expect(check('HTTP://LOCALHOST:9999/', 'localhost:9999')).toBe(true);
    // A host name of the allowlist, on another port and scheme than listed.
    expect(check('http://dash.example.com:8080', 'dash.example.com:8080')).toBe(true);
    expect(check('https://dash.example.com', 'whatever')).toBe(true);
  });

  it('refuses other origins, another scheme or port, and a rebinding name that matches its own Host', () => {
    expect(check('http://127.0.0.1:41235', '127.0.0.1:41234')).toBe(false);
    expect(check('https://127.0.0.1:41234', '127.0.0.1:41234')).toBe(false);
    expect(check('http://evil.example:8080', '127.0.0.1:8080')).toBe(false);
    // DNS rebinding: evil.example resolves to this machine, so Host and Origin agree.
    expect(check('http://evil.example:8080', 'evil.example:8080')).toBe(false);
    expect(check('http://127.0.0.1:41234', undefined)).toBe(false);
    expect(check(undefined, '127.0.0.1:41234')).toBe(false);
  });

  it('without a same-origin policy, only the allowlist counts (the old behaviour)', () => {
    const plain = createOriginCheck({ allowedOrigins: ['http://a.example'], allowMissingOrigin: true });
    expect(plain('http://127.0.0.1:41234', '127.0.0.1:41234')).toBe(false);
    expect(plain('http://a.example', 'x')).toBe(true);
    expect(plain(undefined)).toBe(true);
  });
});

describe('gateway conveniences', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('accepts the feed and control from its own origin on an ephemeral port, and refuses a foreign one (real NATS)', async () => {
    const gw = await startTestGateway();
    cleanup.push(() => gw.close());
    const own = new URL(gw.server.url).origin;
    expect(testGatewayConfig().allowedOrigins).not.toContain(own);
    const ok = await rawUpgrade(`${gw.wsUrl}?token=${VIEWER}`, { Origin: own });
    expect(ok.upgraded).toBe(true);
    if (ok.upgraded) ok.socket.destroy();
    const foreign = await rawUpgrade(`${gw.wsUrl}?token=${VIEWER}`, { Origin: 'http://127.0.0.1:1' });
    expect(foreign.upgraded ? 101 : foreign.status).toBe(403);
    // Control: the origin passes, so the request reaches the verb check (404 for an unknown verb), not 403.
    const post = (origin: string): Promise<Response> => fetch(`${gw.server.url}/api/ctl/nonsense`, { method: 'POST', headers: { Authorization: `Bearer ${OPERATOR}`, Origin: origin, 'Content-Type': 'application/json' }, body: '{}' });
    expect((await post(own)).status).toBe(404);
    expect((await post('http://127.0.0.1:1')).status).toBe(403);
  });

  it('builds the dashboard into an empty static folder on start when asked, and leaves it alone otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-gw-static-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const bus = createMemoryBus();
    cleanup.push(() => bus.close());
    const subjects = subjectsFor('gwc');
    const start = async (buildMissingDashboard: boolean): Promise<GatewayServer> => {
      const config = testGatewayConfig({ staticDir: dir });
      const hub = createHub({ bus, subjects, limits: config, heartbeatMs: config.heartbeatMs, log: silentLogger });
      const server = await startGatewayServer({ config, hub, metrics: createEngineMetrics({ defaultMetrics: false }), probes: {}, bus, subjects, log: silentLogger, env: {}, buildMissingDashboard });
      cleanup.push(async () => {
        hub.close();
        await server.close();
      });
      return server;
    };
    const plain = await start(false);
    expect((await fetch(`${plain.url}/`)).status).toBe(404);
    expect(readdirSync(dir)).toEqual([]);

    const built = await start(true);
    expect(readdirSync(dir).sort()).toEqual(['app.css', 'app.js', STAMP_FILE, 'index.html'].sort());
    const page = await fetch(`${built.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('app.js');
    const js = await fetch(`${built.url}/app.js`);
    expect(js.status).toBe(200);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect(existsSync(join(dir, 'index.html'))).toBe(true);
    // The stamp names what the page was built from: its own sources, the message schemas it imports, the static files.
    const inputs = Object.keys((JSON.parse(readFileSync(join(dir, STAMP_FILE), 'utf8')) as { inputs: Record<string, string> }).inputs);
    for (const f of ['gateways/dashboard/src/main.ts', 'streams/messages/fill.ts', 'gateways/dashboard/static/index.html']) expect(inputs).toContain(join(ROOT, f));
    expect(await buildIsCurrent(dir)).toBe(true);

    // Started again with nothing changed: served as it is (the bundle is not rewritten).
    writeFileSync(join(dir, 'app.js'), '/* the same build */');
    await start(true);
    expect(readFileSync(join(dir, 'app.js'), 'utf8')).toBe('/* the same build */');

    // A source changed since (its hash in the stamp is another): rebuilt on start.
    const stamp = JSON.parse(readFileSync(join(dir, STAMP_FILE), 'utf8')) as { inputs: Record<string, string> };
    stamp.inputs[join(ROOT, 'gateways/dashboard/src/main.ts')] = '0'.repeat(64);
    writeFileSync(join(dir, STAMP_FILE), JSON.stringify(stamp));
    expect(await buildIsCurrent(dir)).toBe(false);
    await start(true);
    expect(readFileSync(join(dir, 'app.js')).byteLength).toBeGreaterThan(100_000);
    expect(await buildIsCurrent(dir)).toBe(true);
  });

  it('rebuilds the default folder when its build has no stamp, and leaves a page of the operator\'s own alone', async () => {
    const own = mkdtempSync(join(tmpdir(), 'sextant-gw-own-'));
    cleanup.push(async () => rmSync(own, { recursive: true, force: true }));
    writeFileSync(join(own, 'index.html'), '<p>our desk</p>');
    expect(await dashboardBuildReason(own, join(tmpdir(), 'elsewhere'))).toBeUndefined();
    // The same folder as the default one (the git-ignored dist/ of an earlier checkout): rebuilt.
    expect(await dashboardBuildReason(own, own)).toMatch(/predates its build stamp/);
    expect(await dashboardBuildReason(join(own, 'missing'))).toMatch(/no dashboard/);
    writeFileSync(join(own, STAMP_FILE), 'not json');
    expect(await dashboardBuildReason(own, join(tmpdir(), 'elsewhere'))).toMatch(/changed since it was built/);
  });
});
