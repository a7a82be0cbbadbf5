import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../../cli/engine.js';
import { startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import { PROJECT_ROOT } from '../../../config/load.js';
import { buildDashboard } from '../../../gateways/dashboard/build.js';
import type { DashboardBuild } from '../../../gateways/dashboard/build.js';
import { findBarFiles } from '../../../gateways/data-dir.js';
import { readBars } from '../../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../../gateways/historical/merge-by-time.js';
import { replay } from '../../../gateways/replay.js';
import { announce, modelEventOf } from '../../../models/registry/model-event-of.js';
import { createLiveClock } from '../../../state/clocks/live-clock.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryAuditStore } from '../../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../../state/memory-timeseries-store.js';
import type { Bar } from '../../../streams/messages/bar.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { streamSpecs } from '../../../streams/provision.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from '../../decision/engine-run.js';
import { testDataDir } from '../../support/data-dir.js';
import { startTestGateway, VIEWER as HARNESS_VIEWER } from '../ws/gateway-harness.js';
import { quoteOf } from '../../../streams/messages/symbol-quote.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
// Two months of real 1h bars, after the three years the model trains on.
const FROM = Date.UTC(2022, 0, 1);
const TO = Date.UTC(2022, 2, 1);
const VIEWER = 'viewer-token-for-the-test';
const OPERATOR = 'operator-token-for-the-test';

type Card = Readonly<{ symbol: string; candles: number; markers: number; predictions: number; orders: number; fills: number; canvasArea: number; lastPrice: string }>;

const cards = (page: Page): Promise<Card[]> =>
  page.$$eval('article.chart-card', (els) =>
    els.map((e) => {
      const d = (e as unknown as { dataset: Record<string, string | undefined> }).dataset;
      const canvases = [...e.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect());
      return {
        symbol: d['symbol'] ?? '',
        candles: Number(d['candles']),
        markers: Number(d['markers']),
        predictions: Number(d['predictions']),
        orders: Number(d['orders']),
        fills: Number(d['fills']),
        canvasArea: Math.max(0, ...canvases.map((r) => r.width * r.height)),
        lastPrice: e.querySelector('.last-price')?.textContent ?? '',
      };
    }),
  );

/** The window's bars per symbol: how many, and the last one. */
async function barsOfWindow(): Promise<Map<string, { count: number; last: Bar }>> {
  const out = new Map<string, { count: number; last: Bar }>();
  for (const f of findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' })) {
    for await (const b of readBars(f.path, { venue: 'binance', symbol: f.symbol, tf: '1h', from: FROM, to: TO })) out.set(f.symbol, { count: (out.get(f.symbol)?.count ?? 0) + 1, last: b });
  }
  return out;
}

// One build of the page and one browser for both tests (each opens its own page): a build and a
// Chromium start are a few seconds each on a busy machine.
let dist = '';
let built: DashboardBuild;
let browser: Browser;
beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'sextant-dashboard-'));
  built = await buildDashboard(dist);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('dashboard in a browser (headless Chromium) against the gateway during a replay', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('draws candles and predictions live, shows positions and PnL, and Halt with the operator token shows HALTED (Resume: ACTIVE; Reduce only: REDUCING)', async () => {
    expect(built.bytes).toBeGreaterThan(100_000);

    // The default strategy, execution and paper venue: predictions, orders and fills to mark on the charts.
    const cfg = isolatedConfig(SYMBOLS, (c) => ({
      ...c,
      gateway: {
        ...c.gateway,
        enabled: true,
        port: 0,
        staticDir: dist,
        // The page comes from the gateway's own ephemeral port, unknown until it listens.
        allowedOrigins: ['*'],
        tokens: [
          { name: 'viewer', role: 'viewer', token: VIEWER },
          { name: 'ops', role: 'operator', token: OPERATOR },
        ],
      },
    }));
    const subjects = subjectsFor(cfg.prefix);
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const bus = await createNatsBus({ url: NATS_URL, name: 'dashboard-browser', connectTimeoutMs: 3000 });
    cleanup.push(() => bus.close());
    await bus.ensureStreams(streamSpecs(cfg));
    cleanup.push(() => bus.deleteStreams(streamSpecs(cfg).map((s) => s.name)));
    const riskStore = createMemoryRiskStore();
    const engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() },
      createLiveClock(),
      silentLogger,
    );
    cleanup.push(() => engine.stop());
    const gateway = await startGatewayRuntime(cfg, bus, {}, silentLogger, { env: {} });
    cleanup.push(() => gateway.close());
    expect(gateway.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // PnL and actor states are the engine's own state: published into the feed the way `sextant run` does.
    const publishState = (): void => {
      for (const a of engine.supervisor.status()) gateway.hub.publishLocal('actors', a.key, { id: a.key, kind: 'asset', state: a.state });
      const risk = engine.decisions?.risk.status();
      if (risk !== undefined) {
        gateway.hub.publishLocal('actors', `risk:${risk.account}`, { id: `risk:${risk.account}`, kind: 'risk', state: risk.state });
        const positions = risk.positions.map((p) => ({ venue: p.venue, symbol: p.symbol, qty: p.qty, avgPrice: p.avgCost }));
        gateway.hub.publishLocal('pnl', risk.account, { account: risk.account, realised: risk.pnl.realised, unrealised: risk.pnl.unrealised, equity: risk.pnl.equity, positions });
      }
    };
    const stateTimer = setInterval(publishState, 250);
    cleanup.push(async () => clearInterval(stateTimer));

    const page = await browser.newPage({ viewport: { width: 1440, height: 1400 } });
    cleanup.push(() => page.close());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    await page.goto(`${gateway.server.url}/?token=${VIEWER}`);
    await page.waitForSelector('#connection[data-state="open"]', { timeout: 10_000 });
    // The token is read, then taken out of the address bar (history, screenshots); the feed stays open.
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);

    // The registry's announcement of the served model, as a promotion on a live bus carries it.
    const served = await registry.get('direction-mlp@production');
    await announce(bus, subjects, modelEventOf({ seq: 1, name: served.name, alias: 'production', version: served.version, previousVersion: null, event: 'promoted', actor: 'sextant demo', reason: 'trained on the years before the demo window', at: FROM }));
    await expect.poll(() => page.locator('#models table.model-events tbody tr td').first().textContent(), { timeout: 10_000 }).toBe('2022-01-01 00:00');
    expect(await page.locator('#models table.aliases tbody tr').first().innerText()).toBe(`direction-mlp\tproduction\tv${served.version}\t2022-01-01 00:00`);

    // A replay at 200 bars/s per symbol: the page follows it live.
    const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
    const result = await replay({ bus, subjects, speed: 720_000, source: mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', from: FROM, to: TO }))) });
    expect(result.published).toBeGreaterThan(2_500);
    const inWindow = await barsOfWindow();

    // Every symbol's chart ends on the last bar of the window.
    await expect
      .poll(async () => (await cards(page)).map((c) => [c.symbol, c.lastPrice]), { timeout: 30_000, interval: 250 })
      .toEqual(SYMBOLS.map((s) => [s, `${new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 }).format(inWindow.get(s)?.last.close ?? NaN)} ${quoteOf(s) ?? ''}`.trim()]));
    await expect.poll(async () => (await cards(page)).every((c) => c.predictions > 0 && c.markers > 0), { timeout: 30_000, interval: 250 }).toBe(true);
    const drawn = await cards(page);
    console.info(`dashboard: ${drawn.map((c) => `${c.symbol} ${c.candles} candles, ${c.markers} markers (${c.predictions} predictions, ${c.orders} orders, ${c.fills} fills)`).join('; ')}`);
    for (const c of drawn) {
      expect(c.canvasArea, `${c.symbol} canvas`).toBeGreaterThan(100_000);
      // One candle per bar: the hub conflates only for a client that falls 1 MiB behind, which
      // would cost some intermediate bars (never the last one, checked above).
      const bars = inWindow.get(c.symbol)?.count ?? 0;
      expect(bars).toBeGreaterThan(1_400);
      expect(c.candles, `${c.symbol} candles`).toBeGreaterThan(0.9 * bars);
      expect(c.candles).toBeLessThanOrEqual(bars);
      expect(c.markers).toBe(c.predictions + c.orders + c.fills);
    }
    expect(drawn.reduce((s, c) => s + c.orders, 0), 'orders marked').toBeGreaterThan(0);
    expect(drawn.reduce((s, c) => s + c.fills, 0), 'fills marked').toBeGreaterThan(0);
    expect(Number(await page.getAttribute('#predictions', 'data-count'))).toBeGreaterThan(100);
    expect(await page.locator('#predictions tbody tr').count()).toBeGreaterThan(0);
    expect(Number(await page.getAttribute('#features', 'data-rows'))).toBeGreaterThan(10);
    await expect.poll(() => page.locator('#actors tbody tr').count(), { timeout: 5_000 }).toBeGreaterThanOrEqual(SYMBOLS.length + 1);
    expect(await page.textContent('#model-serving')).toMatch(new RegExp(`^Serving direction-mlp v${served.version} `));
    await expect.poll(() => page.textContent('#pnl-equity'), { timeout: 5_000 }).not.toBe(null);
    // Positions and PnL as the risk book holds them, once the last decisions are in.
    const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const book = (): { equity: string; symbols: string[] } => {
      const r = engine.decisions?.risk.status();
      return { equity: money.format(r?.pnl.equity ?? NaN), symbols: (r?.positions ?? []).filter((p) => p.qty !== 0).map((p) => p.symbol).sort() };
    };
    const shown = async (): Promise<{ equity: string; symbols: string[] }> => ({
      equity: (await page.textContent('#pnl-equity')) ?? '',
      symbols: (await page.locator('#positions table.positions tbody tr td:nth-child(2)').allTextContents()).sort(),
    });
    await expect.poll(async () => JSON.stringify(await shown()) === JSON.stringify(book()), { timeout: 20_000, interval: 250 }).toBe(true);
    expect(book().symbols.length, 'open positions').toBeGreaterThan(0);

    expect(errors).toEqual([]);

    // Without the right operator token, nothing happens; with it, the risk actor halts and the feed says so.
    await page.fill('#operator-token', 'not-the-operator');
    await page.click('#halt');
    await expect.poll(() => page.textContent('#ctl-reply'), { timeout: 10_000 }).toBe('operator token refused (401)');
    expect(engine.decisions?.risk.status().state).toBe('ACTIVE');
    await page.fill('#operator-token', OPERATOR);
    await page.click('#halt');
    await page.waitForSelector('#risk-state[data-state="HALTED"]', { timeout: 10_000 });
    expect(await page.textContent('#ctl-reply')).toBe('halt accepted; trading state HALTED');
    expect(engine.decisions?.risk.status().state).toBe('HALTED');
    expect(await page.evaluate("sessionStorage.getItem('sextant.operatorToken')")).toBe(OPERATOR);

    mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(PROJECT_ROOT, 'test-artifacts', 'dashboard.png'), fullPage: true });
    // And Resume brings trading back.
    await page.click('#resume');
    await page.waitForSelector('#risk-state[data-state="ACTIVE"]', { timeout: 10_000 });
    expect(engine.decisions?.risk.status().state).toBe('ACTIVE');
    // Reduce only: refused with a symbol typed in (it is the whole account's), then accepted; Resume lifts it.
    await page.fill('#ctl-symbol', 'BTC/USDT');
    await page.click('#reduce');
    await expect.poll(() => page.textContent('#ctl-reply'), { timeout: 10_000 }).toBe('reduce-only applies to the whole account: clear the symbol');
    expect(engine.decisions?.risk.status().state).toBe('ACTIVE');
    await page.fill('#ctl-symbol', '');
    await page.click('#reduce');
    await page.waitForSelector('#risk-state[data-state="REDUCING"]', { timeout: 10_000 });
    expect(await page.textContent('#ctl-reply')).toBe('reduce accepted; trading state REDUCING');
    expect(engine.decisions?.risk.status().state).toBe('REDUCING');
    await page.click('#resume');
    await page.waitForSelector('#risk-state[data-state="ACTIVE"]', { timeout: 10_000 });
    expect(engine.decisions?.risk.status().state).toBe('ACTIVE');
    // Flatten: reduce-only while execution closes every position (the engine halts once flat).
    await page.click('#flatten');
    await expect.poll(() => page.textContent('#ctl-reply'), { timeout: 10_000 }).toMatch(/^flatten accepted; trading state (REDUCING|HALTED)$/);
    expect(engine.decisions?.risk.status().reason).toMatch(/^flatten from the dashboard/);
    expect(['REDUCING', 'HALTED']).toContain(engine.decisions?.risk.status().state);
    await page.click('#resume');
    await page.waitForSelector('#risk-state[data-state="ACTIVE"]', { timeout: 10_000 });
    expect(engine.decisions?.risk.status()).toMatchObject({ state: 'ACTIVE', flattening: false });
    // The browser logs the refused request; nothing else went wrong on the page.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  }, 300_000);
});

describe('dashboard in a browser (headless Chromium) with a viewer token the gateway refuses', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('says the token was refused instead of reconnecting for ever, and connects with another one', async () => {
    const gw = await startTestGateway({ staticDir: dist });
    cleanup.push(() => gw.close());
    const page = await browser.newPage();
    cleanup.push(() => page.close());
    const sockets: string[] = [];
    const probes: number[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/ws') probes.push(r.status());
    });

    await page.goto(`${gw.server.url}/?token=not-the-viewer-token`);
    await page.waitForSelector('#connection[data-state="refused"]', { timeout: 10_000 });
    expect(await page.textContent('#connection .conn-label')).toBe('viewer token refused: enter another and Connect');
    // Long enough for three retries at the feed client's backoff (0.5 s, 1 s, 2 s): none comes.
    await page.waitForTimeout(3_500);
    expect(sockets).toHaveLength(1);
    expect(probes).toEqual([401]);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('refused');
    // A refused token is not kept for a reload.
    expect(await page.evaluate("sessionStorage.getItem('sextant.viewerToken')")).toBeNull();

    await page.fill('#viewer-token', HARNESS_VIEWER);
    await page.click('#connect');
    await page.waitForSelector('#connection[data-state="open"]', { timeout: 10_000 });
    expect(sockets).toHaveLength(2);
    expect(gw.hub.clientCount()).toBe(1);
    expect(await page.evaluate("sessionStorage.getItem('sextant.viewerToken')")).toBe(HARNESS_VIEWER);
  }, 60_000);
});
