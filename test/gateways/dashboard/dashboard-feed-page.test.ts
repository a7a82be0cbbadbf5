import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../../gateways/dashboard/build.js';
import { TOPICS } from '../../../gateways/dashboard/src/feed-protocol.js';
import { startFakeFeed } from './fake-feed.js';
import type { FakeFeed } from './fake-feed.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const T0 = Date.UTC(2024, 0, 2, 15, 0);
const MIN = 60_000;
/** The control reply line's colour as drawn (an expression: the test's own types have no DOM). */
const REPLY_COLOUR = "getComputedStyle(document.getElementById('ctl-reply')).color";
/** The engine catch-up note's background as drawn, and the amber of a backlog's. */
const CATCH_UP_BACKGROUND = "getComputedStyle(document.getElementById('catch-up')).backgroundColor";
const AMBER = 'rgb(254, 243, 199)';

const reject = {
  type: 'exec.reject',
  v: 1,
  id: 'r:s-1',
  ts: T0,
  strategy: 'dir',
  venue: 'binance',
  symbol: 'BTC/USDT',
  suggestionId: 's-1',
  reasons: ['POSITION_LIMIT'],
  detail: 'POSITION_LIMIT: <img src=x onerror="window.__xss=1"> 1.2 > 1',
};
const fill = (i: number) => ({
  type: 'exec.fill',
  v: 1,
  id: `x:o-${i}:1`,
  ts: T0 + i * MIN,
  orderId: `o-${i}`,
  strategy: 'dir',
  venue: 'binance',
  symbol: 'BTC/USDT',
  side: 'buy',
  qty: 0.01,
  price: 42_000 + i,
  fee: 0.1,
  liquidity: 'taker',
  slippageBps: 1,
  final: true,
});
const pnl = (equity: number | null) => ({ account: 'paper', state: 'ACTIVE', realised: -0.001, unrealised: 5, equity, positions: [] });

/** The page alone against a scripted feed, in a browser whose time zone is not UTC (a desk in New York). */
describe('dashboard page against a scripted feed (headless Chromium, America/New_York)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  let dist = '';
  let browser: Browser;
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'sextant-dashboard-'));
    cleanup.push(async () => rmSync(dist, { recursive: true, force: true }));
    await buildDashboard(dist);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    cleanup.push(() => browser.close());
  }, 30_000);
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });
  // Each test's feed and page, closed once it ends: left open to the end, every earlier page kept
  // its renderer, sockets and timers running beside the later tests (19 by the last).
  const opened: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of opened.splice(0).reverse()) await c().catch(() => {});
  });

  /** A fresh scripted feed and a page subscribed to every topic on it; `errors` collects the page's uncaught errors. */
  const openPage = async (): Promise<{ feed: FakeFeed; page: Page; errors: string[] }> => {
    const feed = await startFakeFeed(dist);
    opened.push(() => feed.close());
    const page = await browser.newPage({ timezoneId: 'America/New_York' });
    opened.push(() => page.close());
    page.setDefaultTimeout(5_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${feed.url}/?token=t`);
    await feed.subscribed(1, TOPICS);
    return { feed, page, errors };
  };

  it('keeps the orders list by event time across a reconnect, writes UTC, shows refused payloads and reject details as text', async () => {
    const { feed, page, errors } = await openPage();
    let seq = 0;
    const delta = (topic: string, key: string, data: unknown): void => feed.send({ type: 'delta', topic, key, seq: ++seq, data });

    // A reject whose detail holds markup: drawn as text, with the risk actor's numbers.
    delta('orders', 'BTC/USDT', reject);
    await expect.poll(() => page.locator('#orders tbody tr.reject td').last().textContent()).toBe(reject.detail);
    expect(await page.locator('#orders tbody img').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('#orders thead th').first().textContent()).toBe('time (UTC)');

    // Thirty fills push the reject out of the list (30 rows).
    for (let i = 1; i <= 30; i++) delta('orders', 'BTC/USDT', fill(i));
    await expect.poll(() => page.locator('#orders tbody tr').first().getAttribute('data-id')).toBe(fill(30).id);
    expect(await page.locator('#orders tbody tr.reject').count()).toBe(0);

    // A loss under half a cent reads 0.00, uncoloured; then a PnL with equity null (JSON's NaN) is refused, and the header says so.
    delta('pnl', 'paper', pnl(1000));
    await expect.poll(() => page.textContent('#pnl-equity')).toBe('1,000.00');
    expect(await page.textContent('#pnl-realised')).toBe('0.00');
    expect(await page.getAttribute('#pnl-realised', 'class')).toBe('');
    delta('pnl', 'paper', pnl(null));
    await expect.poll(() => page.textContent('#connection .conn-detail')).toMatch(/1 refused \(last: pnl\/paper: equity: .*number/);

    // The gateway loses NATS at 15:04:05 UTC: said in UTC, as every other time on the page (not 10:04:05 AM New York).
    feed.send({ type: 'status', upstream: 'down', since: Date.UTC(2024, 0, 2, 15, 4, 5) });
    await expect.poll(() => page.textContent('#connection .conn-label')).toBe('feed stale: gateway lost NATS at 15:04:05 UTC');

    // The socket drops; the page reconnects and resubscribes, and the snapshot repeats the symbol's
    // latest reject (long scrolled out) and its latest fill: neither comes back as a new row.
    feed.sockets[0]?.ws.close();
    await feed.subscribed(2, TOPICS);
    feed.send({ type: 'snapshot', topic: 'orders', key: 'BTC/USDT', seq: 1, data: reject });
    feed.send({ type: 'snapshot', topic: 'orders', key: 'BTC/USDT', seq: 31, data: fill(30) });
    // An update after the snapshot, older than the newest row: it goes where its time puts it.
    feed.send({ type: 'delta', topic: 'orders', key: 'BTC/USDT', seq: 32, data: { ...fill(31), id: 'x:late:1', ts: T0 + 20 * MIN + 30_000 } });
    await expect.poll(() => page.locator('#orders tbody tr[data-id="x:late:1"]').count()).toBe(1);
    const ids = await page.locator('#orders tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(ids).toHaveLength(30);
    expect(ids[0]).toBe(fill(30).id);
    expect(ids.indexOf('x:late:1')).toBe(10);
    expect(ids).not.toContain(reject.id);
    expect(await page.getAttribute('#orders', 'data-count')).toBe('32');
    expect(errors).toEqual([]);
  }, 60_000);

  it('says in the prices panel and the connection panel why the feed refused the symbols of ?symbols= (a symbol no configured asset has), instead of waiting for bars', async () => {
    const feed = await startFakeFeed(dist);
    opened.push(() => feed.close());
    const page = await browser.newPage({ timezoneId: 'America/New_York' });
    opened.push(() => page.close());
    page.setDefaultTimeout(5_000);
    await page.goto(`${feed.url}/?token=t&symbols=BTC/USTD`);
    await feed.subscribed(1, TOPICS);
    await expect.poll(() => page.textContent('#no-charts')).toBe('Waiting for bars…');
    const reason = '"BTC/USTD" can never match: no configured asset is "BTC/USTD"; did you mean "BTC/USDT"? (the configured symbols: "BTC/USDT")';
    for (const topic of ['md', 'features', 'predictions', 'orders']) feed.send({ type: 'error', code: 'bad_request', reason, op: 'subscribe', topic, symbols: ['BTC/USTD'] });
    await expect.poll(() => page.textContent('#no-charts')).toBe(`No prices: the feed refused ?symbols=BTC/USTD: ${reason}`);
    await expect.poll(() => page.textContent('#connection .conn-detail')).toContain(`bad_request: ${reason}`);
  }, 30_000);

  it("on reconnecting, a topic's new snapshot replaces the actors, accounts and model aliases shown (orders keep theirs), nothing blanks while reconnecting", async () => {
    const { feed, page, errors } = await openPage();
    const actor = (id: string, kind: string, state: string) => ({ id, kind, state });
    const account = (name: string, equity: number, symbols: readonly string[]) => ({
      account: name,
      state: 'ACTIVE',
      realised: 0,
      unrealised: 0,
      equity,
      positions: symbols.map((symbol) => ({ venue: 'binance', symbol, qty: 1, avgPrice: 100 })),
    });
    const promoted = (version: number, alias: string, ts: number) => ({
      type: 'model.event', v: 1, id: `m:dir:${version}:${alias}`, ts, name: 'dir', event: 'promoted', version, alias, previousVersion: null, actor: 'ops', reason: 'test',
    });
    const texts = (rows: string): Promise<string[]> => page.locator(rows).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent).join('|')));
    const actorsRows = (): Promise<string[]> => texts('#actors tbody tr');
    const accountRows = (): Promise<string[]> => texts('#positions tbody tr');
    const aliasRows = (): Promise<string[]> => texts('#models table.aliases tbody tr');

    // The engine before its restart: two asset actors, two accounts, two aliases, and a fill.
    const snap = (topic: string, key: string, seq: number, data: unknown): void => feed.send({ type: 'snapshot', topic, key, seq, data });
    snap('actors', 'asset:ETH/USDT', 1, actor('asset:ETH/USDT', 'asset', 'live'));
    snap('actors', 'asset:BTC/USDT', 2, actor('asset:BTC/USDT', 'asset', 'live'));
    snap('pnl', 'old', 1, account('old', 500, ['ETH/USDT']));
    snap('pnl', 'paper', 2, account('paper', 1000, ['BTC/USDT']));
    snap('models', 'dir|production', 1, promoted(1, 'production', T0));
    snap('models', 'dir|staging', 2, promoted(2, 'staging', T0 + MIN));
    snap('orders', 'BTC/USDT', 1, fill(1));
    await expect.poll(actorsRows).toEqual(['asset:BTC/USDT|asset|live|', 'asset:ETH/USDT|asset|live|']);
    await expect.poll(accountRows).toEqual(['old|ETH/USDT|binance|1|100 USDT|–|–', 'paper|BTC/USDT|binance|1|100 USDT|–|–']);
    await expect.poll(() => page.textContent('#pnl-equity')).toBe('1,500.00');
    await expect.poll(aliasRows).toEqual(['dir|production|v1|2024-01-02 15:00', 'dir|staging|v2|2024-01-02 15:01']);

    // The socket drops: while the page reconnects every panel keeps what it showed.
    feed.sockets[0]?.ws.close();
    await expect.poll(() => page.getAttribute('#connection', 'data-state')).toBe('reconnecting');
    expect(await actorsRows()).toHaveLength(2);
    expect(await accountRows()).toHaveLength(2);
    expect(await aliasRows()).toHaveLength(2);

    // The restarted engine has BTC only, warming, and one account; its registry one alias.
    await feed.subscribed(2, TOPICS);
    snap('actors', 'asset:BTC/USDT', 1, actor('asset:BTC/USDT', 'asset', 'warming'));
    snap('actors', 'risk:paper', 2, actor('risk:paper', 'risk', 'ACTIVE'));
    snap('pnl', 'paper', 1, account('paper', 900, ['BTC/USDT']));
    snap('models', 'dir|production', 1, promoted(3, 'production', T0 + 2 * MIN));
    await expect.poll(actorsRows).toEqual(['asset:BTC/USDT|asset|warming|', 'risk:paper|risk|ACTIVE|']);
    await expect.poll(accountRows).toEqual(['paper|BTC/USDT|binance|1|100 USDT|–|–']);
    await expect.poll(() => page.textContent('#pnl-equity')).toBe('900.00');
    await expect.poll(aliasRows).toEqual(['dir|production|v3|2024-01-02 15:02']);
    // The old events stay among the recent registry events, and the fill among the orders.
    expect(await page.locator('#models table.model-events tbody tr').count()).toBe(3);
    expect(await page.locator(`#orders tbody tr[data-id="${fill(1).id}"]`).count()).toBe(1);

    // Updates after the snapshot add to it: only the first update of a connection replaces.
    feed.send({ type: 'delta', topic: 'actors', key: 'asset:SOL/USDT', seq: 3, data: actor('asset:SOL/USDT', 'asset', 'live') });
    await expect.poll(actorsRows).toEqual(['asset:BTC/USDT|asset|warming|', 'asset:SOL/USDT|asset|live|', 'risk:paper|risk|ACTIVE|']);
    expect(errors).toEqual([]);
  }, 30_000);

  it('on reconnecting to a server whose actors snapshot is empty (subscribed with snapshot: 0), the actors panel is empty at once', async () => {
    const { feed, page, errors } = await openPage();
    const actorsRows = (): Promise<number> => page.locator('#actors tbody tr').count();
    feed.send({ type: 'snapshot', topic: 'actors', key: 'asset:BTC/USDT', seq: 1, data: { id: 'asset:BTC/USDT', kind: 'asset', state: 'live' } });
    feed.send({ type: 'snapshot', topic: 'pnl', key: 'paper', seq: 1, data: pnl(1000) });
    await expect.poll(actorsRows).toBe(1);
    await expect.poll(() => page.textContent('#pnl-equity')).toBe('1,000.00');

    // The restarted engine has no actors yet: its subscribed says so, and no actors frame follows.
    // pnl is announced with one frame that has not come yet: its panel keeps its rows until then.
    feed.announce('actors', 0);
    feed.announce('pnl', 1);
    feed.sockets[0]?.ws.close();
    await feed.subscribed(2, TOPICS);
    await expect.poll(actorsRows).toBe(0);
    expect(await page.textContent('#pnl-equity')).toBe('1,000.00');
    feed.send({ type: 'snapshot', topic: 'pnl', key: 'paper', seq: 1, data: pnl(900) });
    await expect.poll(() => page.textContent('#pnl-equity')).toBe('900.00');

    // Then the engine's first actor arrives, as a delta: it is the only row.
    feed.send({ type: 'delta', topic: 'actors', key: 'risk:paper', seq: 1, data: { id: 'risk:paper', kind: 'risk', state: 'ACTIVE' } });
    await expect.poll(() => page.locator('#actors tbody tr td').first().textContent()).toBe('risk:paper');
    expect(await actorsRows()).toBe(1);
    expect(errors).toEqual([]);
  }, 30_000);

  it("shows each market-data feed the engine heard of, coloured when not live (unknown once the gateway is silent), and a reconnect's snapshot replaces them", async () => {
    const { feed, page, errors } = await openPage();
    const feedOf = (symbol: string, stream: string, state: string, ageMs: number, extra: Record<string, unknown> = {}) => ({
      venue: 'binance', symbol, stream, state, lastState: state, restarts: 0, publisher: 'sextant-gateway', ts: T0, ageMs, ...extra,
    });
    const rows = (): Promise<string[]> => page.locator('#feeds tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent).join('|')));
    // The state's colour as drawn (an expression: the test's own types have no DOM).
    const colour = (key: string): Promise<unknown> => page.evaluate(`getComputedStyle(document.querySelector('#feeds tr[data-feed="${key}"] .feed-state')).color`);
    expect(await page.textContent('#feeds .muted')).toMatch(/^no feed statuses/);
    feed.send({ type: 'snapshot', topic: 'feeds', key: 'binance:BTC/USDT:trade', seq: 1, data: feedOf('BTC/USDT', 'trade', 'live', 2_000) });
    feed.send({ type: 'snapshot', topic: 'feeds', key: 'binance:BTC/USDT:bar 1m', seq: 2, data: feedOf('BTC/USDT', 'bar 1m', 'retrying', 4_200, { code: 'NETWORK', reason: 'ECONNRESET', retryAt: T0 + 30_000, restarts: 1 }) });
    await expect.poll(rows).toEqual(['binance|BTC/USDT|bar 1m|retrying|4 s|NETWORK: ECONNRESET (next try 15:00:30 UTC)', 'binance|BTC/USDT|trade|live|2 s|']);
    expect(await page.isVisible('#feeds .muted')).toBe(false);
    expect(await colour('binance:BTC/USDT:trade')).toBe('rgb(22, 163, 74)');
    expect(await colour('binance:BTC/USDT:bar 1m')).toBe('rgb(217, 119, 6)');
    // The header says a feed down, wherever the page is scrolled: how many, and which.
    const banner = page.locator('#feeds-banner');
    expect(await banner.textContent()).toBe('1 market-data feed down: binance BTC/USDT bar 1m retrying');
    expect(await banner.isVisible()).toBe(true);
    // The engine has not heard from the gateway for 3 status intervals: unknown, in red, with its reason.
    const silent = 'gateway silent: its last status (live) is 30001 ms old, past 3 × 10000 ms';
    feed.send({ type: 'delta', topic: 'feeds', key: 'binance:BTC/USDT:trade', seq: 3, data: feedOf('BTC/USDT', 'trade', 'unknown', 30_001, { lastState: 'live', reason: silent }) });
    await expect.poll(() => page.textContent('#feeds tr[data-feed="binance:BTC/USDT:trade"]')).toBe(`binanceBTC/USDTtradeunknown30 s${silent}`);
    expect(await colour('binance:BTC/USDT:trade')).toBe('rgb(220, 38, 38)');
    expect(await page.getAttribute('#feeds', 'data-down')).toBe('2');
    expect(await banner.textContent()).toBe('2 market-data feeds down: binance BTC/USDT bar 1m retrying, binance BTC/USDT trade unknown');
    // Two more down: the first three named, the rest counted.
    feed.send({ type: 'delta', topic: 'feeds', key: 'binance:ETH/USDT:trade', seq: 4, data: feedOf('ETH/USDT', 'trade', 'stale', 1_000) });
    feed.send({ type: 'delta', topic: 'feeds', key: 'binance:SOL/USDT:trade', seq: 5, data: feedOf('SOL/USDT', 'trade', 'failed', 1_000) });
    await expect.poll(() => banner.textContent()).toBe('4 market-data feeds down: binance BTC/USDT bar 1m retrying, binance BTC/USDT trade unknown, binance ETH/USDT trade stale and 1 more');
    // Feeds the engine forgot (the gateway runs them no more) leave the panel and the header.
    for (const [i, k] of ['ETH/USDT', 'SOL/USDT'].entries()) feed.send({ type: 'delta', topic: 'feeds', key: `binance:${k}:trade`, seq: 6 + i, data: { venue: 'binance', symbol: k, stream: 'trade', state: 'gone', reason: 'sextant gateway publishes other feeds but no longer this one', ageMs: 0 } });
    await expect.poll(() => page.locator('#feeds tbody tr').count()).toBe(2);
    expect(await banner.textContent()).toBe('2 market-data feeds down: binance BTC/USDT bar 1m retrying, binance BTC/USDT trade unknown');

    // The restarted engine has heard of the ETH trade feed only: it replaces both rows.
    feed.sockets[0]?.ws.close();
    await feed.subscribed(2, TOPICS);
    feed.send({ type: 'snapshot', topic: 'feeds', key: 'binance:ETH/USDT:trade', seq: 1, data: feedOf('ETH/USDT', 'trade', 'live', 500) });
    await expect.poll(rows).toEqual(['binance|ETH/USDT|trade|live|0 s|']);
    expect(await banner.isVisible()).toBe(false);
    // And an engine that has heard of none (snapshot: 0) leaves the panel empty at once.
    feed.announce('feeds', 0);
    feed.sockets[1]?.ws.close();
    await feed.subscribed(3, TOPICS);
    await expect.poll(rows).toEqual([]);
    expect(await page.isVisible('#feeds .muted')).toBe(true);
    expect(errors).toEqual([]);
  }, 30_000);

  it('shows under an actor the restart count and the error it is down on, until the feed says it runs again', async () => {
    const { feed, page, errors } = await openPage();
    const rows = (): Promise<string[]> => page.locator('#actors tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent).join('|')));
    const redis = 'Error: connect ECONNREFUSED 127.0.0.1:6379';
    feed.send({ type: 'snapshot', topic: 'actors', key: 'asset:BTC/USDT', seq: 1, data: { id: 'asset:BTC/USDT', kind: 'asset', state: 'restarting', restarts: 2, lastSeq: 41, lastError: redis } });
    await expect.poll(rows).toEqual(['asset:BTC/USDT|asset|restarting|2', redis]);
    expect(await page.locator('#actors td.actor-error').getAttribute('data-state')).toBe('restarting');
    feed.send({ type: 'delta', topic: 'actors', key: 'asset:BTC/USDT', seq: 2, data: { id: 'asset:BTC/USDT', kind: 'asset', state: 'live', restarts: 2, lastSeq: 57 } });
    await expect.poll(rows).toEqual(['asset:BTC/USDT|asset|live|2']);
    expect(errors).toEqual([]);
  });

  it('shows a promotion the engine refused beside the served model, until it serves what the alias names', async () => {
    const { feed, page, errors } = await openPage();
    const decision = (model: string, refused?: object) => ({ id: 'decision:dir', kind: 'decision', state: 'live', model, ...(refused === undefined ? {} : { modelRefused: refused }) });
    const refusal = { name: 'direction-mlp', version: 7, alias: 'production', reason: 'it was trained on 5m bars; this engine decides on 1h bars' };
    feed.send({ type: 'snapshot', topic: 'actors', key: 'decision:dir', seq: 1, data: decision('direction-mlp@1', refusal) });
    await expect.poll(() => page.locator('#model-refused').isVisible()).toBe(true);
    expect(await page.textContent('#model-refused')).toBe('Refused direction-mlp v7 (direction-mlp@production names it): it was trained on 5m bars; this engine decides on 1h bars — still serving direction-mlp v1');
    // The next promotion fits: the engine serves it and says no refusal.
    feed.send({ type: 'delta', topic: 'actors', key: 'decision:dir', seq: 2, data: decision('direction-mlp@8') });
    await expect.poll(() => page.locator('#model-refused').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  }, 30_000);

  it('says a halted account in the sticky header, in sight wherever the page is scrolled, until the book is ACTIVE again', async () => {
    const { feed, page, errors } = await openPage();
    await page.setViewportSize({ width: 1200, height: 600 });
    const banner = page.locator('#trading-banner');
    feed.send({ type: 'snapshot', topic: 'pnl', key: 'paper', seq: 1, data: pnl(1000) });
    await expect.poll(() => page.textContent('#pnl-equity')).toBe('1,000.00');
    expect(await banner.isVisible()).toBe(false);
    // The engine halts itself on its drawdown limit: the change, then the book.
    const halt = { type: 'risk.state', v: 1, id: 'rs:1', ts: T0, account: 'paper', previous: 'REDUCING', state: 'HALTED', reason: 'DRAWDOWN: 1504.3 > 1500; flattened', scopedHalts: [] };
    feed.send({ type: 'delta', topic: 'risk', key: 'paper', seq: 1, data: halt });
    feed.send({ type: 'delta', topic: 'pnl', key: 'paper', seq: 2, data: { ...pnl(900), state: 'HALTED' } });
    await expect.poll(() => banner.textContent()).toBe('paper HALTED since 2024-01-02 15:00 UTC — DRAWDOWN: 1504.3 > 1500; flattened');
    expect(await banner.getAttribute('data-state')).toBe('HALTED');
    // Scrolled down to the orders: still in sight.
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    const box = await banner.boundingBox();
    expect(box !== null && box.y >= 0 && box.y + box.height <= 600).toBe(true);
    // Resumed (the book says so before the change arrives): gone.
    feed.send({ type: 'delta', topic: 'pnl', key: 'paper', seq: 3, data: pnl(900) });
    await expect.poll(() => banner.isVisible()).toBe(false);
    expect(errors).toEqual([]);
  }, 30_000);

  it('says in the header and the risk panel a halt in force but not stored (stored: false), until the engine says it is stored or a later change arrives stored', async () => {
    const { feed, page, errors } = await openPage();
    const banner = page.locator('#trading-banner');
    // An operator's halt whose write got no answer: in force in the engine, announced unstored.
    const halt = { type: 'risk.state', v: 1, id: 'rs:1', ts: T0, account: 'paper', previous: 'ACTIVE', state: 'HALTED', reason: 'operator halt', scopedHalts: [], stored: false };
    feed.send({ type: 'delta', topic: 'risk', key: 'paper', seq: 1, data: halt });
    feed.send({ type: 'snapshot', topic: 'pnl', key: 'paper', seq: 1, data: { ...pnl(1000), state: 'HALTED' } });
    await expect.poll(() => banner.textContent()).toBe('paper HALTED (in force, not stored: a restart would not find it) since 2024-01-02 15:00 UTC — operator halt');
    expect(await page.textContent('#risk-state')).toBe('HALTED');
    expect(await page.textContent('#risk p.muted')).toBe('paper: ACTIVE → HALTED (in force, not stored: a restart would not find it) at 2024-01-02 15:00 UTC — operator halt');
    // A later write stored it: the same change again, stored: true. The warning goes, the halt stays.
    feed.send({ type: 'delta', topic: 'risk', key: 'paper', seq: 2, data: { ...halt, stored: true } });
    await expect.poll(() => banner.textContent()).toBe('paper HALTED since 2024-01-02 15:00 UTC — operator halt');
    expect(await page.textContent('#risk p.muted')).toBe('paper: ACTIVE → HALTED at 2024-01-02 15:00 UTC — operator halt');
    feed.send({ type: 'delta', topic: 'risk', key: 'paper', seq: 3, data: { ...halt, id: 'rs:3', reason: 'operator halt again' } });
    await expect.poll(() => banner.textContent()).toBe('paper HALTED (in force, not stored: a restart would not find it) since 2024-01-02 15:00 UTC — operator halt again');
    // A later change, stored (no flag): the warning goes, the halt stays.
    feed.send({ type: 'delta', topic: 'risk', key: 'paper', seq: 4, data: { ...halt, id: 'rs:4', ts: T0 + MIN, previous: 'HALTED', reason: 'halt BTC/USDT', scopedHalts: [{ scope: 'symbol', value: 'BTC/USDT' }], stored: undefined } });
    await expect.poll(() => banner.textContent()).toBe('paper HALTED since 2024-01-02 15:01 UTC — halt BTC/USDT');
    expect(errors).toEqual([]);
  }, 30_000);

  it("shows the operator's reason for a halt of one symbol beside it, on the line and in the header", async () => {
    const { feed, page, errors } = await openPage();
    // sextant ctl halt --symbol BTC/USDT --reason "bad feed": the account stays ACTIVE.
    const halt = { type: 'risk.state', v: 1, id: 'rs:2', ts: T0, account: 'paper', previous: 'ACTIVE', state: 'ACTIVE', reason: 'start', scopedReason: 'bad feed', scopedHalts: [{ scope: 'symbol', value: 'BTC/USDT', reason: 'bad feed' }] };
    feed.send({ type: 'delta', topic: 'risk', key: 'paper', seq: 1, data: halt });
    await expect.poll(() => page.textContent('#risk ul.scoped')).toBe('halted symbol BTC/USDT — bad feed');
    expect(await page.textContent('#risk p.muted')).toBe('paper: scoped halt or resume at 2024-01-02 15:00 UTC — bad feed');
    expect(await page.textContent('#trading-banner')).toBe('paper: symbol BTC/USDT halted (bad feed)');
    expect(errors).toEqual([]);
  }, 30_000);

  it('shows the venue of each position: one symbol on two venues is two rows that say which', async () => {
    const { feed, page, errors } = await openPage();
    const positions = [
      { venue: 'binance', symbol: 'BTC/USDT', qty: 0.5, avgPrice: 42_000 },
      { venue: 'kraken', symbol: 'BTC/USDT', qty: -0.25, avgPrice: 42_100 },
    ];
    feed.send({ type: 'snapshot', topic: 'pnl', key: 'paper', seq: 1, data: { ...pnl(1000), positions } });
    await expect.poll(() => page.locator('#positions tbody tr').count()).toBe(2);
    expect(await page.locator('#positions thead th').allTextContents()).toEqual(['account', 'symbol', 'venue', 'qty', 'avg price', 'mark', 'unrealised']);
    const venues = await page.locator('#positions tbody tr td:nth-child(3)').allTextContents();
    expect(venues).toEqual(['binance', 'kraken']);
    expect(errors).toEqual([]);
  }, 30_000);

  it("shows the drawdown and today's PnL against their limits, marks and amounts in their currency, attributions, and when the page is behind the engine", async () => {
    const { feed, page, errors } = await openPage();
    const far = Date.UTC(2024, 11, 1, 9);
    // As the engine's status feed sends the book after its drawdown halt (cli/engine-status-feed.ts pnlOf).
    const book = {
      ...pnl(1000), state: 'HALTED', currency: 'USDT', daily: -312.456, drawdown: 1506.6412, limits: { maxDailyLoss: 1000, maxDrawdown: 1500 }, asOf: T0 + 60 * MIN,
      positions: [{ venue: 'binance', symbol: 'BTC/USDT', qty: 0.5, avgPrice: 42_000, realised: 0, unrealised: 250, price: 42_500 }],
    };
    feed.send({ type: 'snapshot', topic: 'md', key: 'BTC/USDT', seq: 1, data: { type: 'md.bar', v: 1, id: 'b:1', venue: 'binance', symbol: 'BTC/USDT', tf: '1h', ts: T0, open: 42_000, high: 42_600, low: 41_900, close: 42_500, volume: 3 } });
    feed.send({ type: 'snapshot', topic: 'pnl', key: 'paper', seq: 1, data: book });
    const pred = {
      type: 'pred', v: 1, id: 'p:dir:f1', ts: T0, strategy: 'dir', venue: 'binance', symbol: 'BTC/USDT', source: 'f1', model: { name: 'direction-mlp', version: 2 }, featureSpecHash: 'h', horizonMs: 4 * 60 * MIN,
      probs: { down: 0.2, flat: 0.3, up: 0.5 }, expectedReturn: 0.001, interval80: [-0.002, 0.004], interval95: [-0.004, 0.006],
      attributions: [{ feature: 'ret_1', contribution: 0.00004 }, { feature: 'rsi_14', contribution: -0.00123 }], confidence: 0.5, price: 42_500, intent: null,
    };
    feed.send({ type: 'snapshot', topic: 'predictions', key: 'BTC/USDT', seq: 1, data: pred });
    await expect.poll(() => page.textContent('#pnl-drawdown')).toBe('1,506.64 USDT (limit 1,500.00)');
    expect(await page.textContent('#pnl-daily')).toBe('-312.46 USDT (limit -1,000.00)');
    expect(await page.textContent('#pnl-equity')).toBe('1,000.00 USDT');
    expect(await page.locator('#positions tbody tr').first().locator('td').allTextContents()).toEqual(['paper', 'BTC/USDT', 'binance', '0.5', '42,000 USDT', '42,500 USDT', '250.00 USDT']);
    await expect.poll(() => page.locator('#predictions tbody tr td').allTextContents()).toContain('rsi_14 -12.3 · ret_1 +0.4');
    expect(await page.locator('#predictions tbody tr td').allTextContents()).toContain('direction-mlp@2');
    // The engine two years on, the page still at its first bar: the header no longer just says live.
    expect(await page.textContent('#connection .conn-label')).toBe('live');
    feed.send({ type: 'delta', topic: 'pnl', key: 'paper', seq: 2, data: { ...book, asOf: far } });
    await expect.poll(() => page.textContent('#connection .conn-label'), { timeout: 3_000 }).toBe('live, but behind the engine by 333 d');
    expect(await page.textContent('#connection .conn-detail')).toContain('market data shown up to 2024-01-02 16:00 UTC, the engine is at 2024-12-01 09:00 UTC (event time)');
    // The engine itself deciding a backlog (its catch-up watch, as ctl status says it): an amber note in the header, gone once caught up.
    expect(await page.locator('#catch-up').isVisible()).toBe(false);
    feed.send({ type: 'delta', topic: 'pnl', key: 'paper', seq: 3, data: { ...book, asOf: far, catchUp: { catchingUp: true, behindMs: 95 * MIN, asOf: far } } });
    await expect.poll(() => page.locator('#catch-up').isVisible()).toBe(true);
    expect(await page.textContent('#catch-up')).toBe('engine catching up: deciding data from 95 min ago — orders may be expired for live desks');
    expect(await page.evaluate(CATCH_UP_BACKGROUND)).toBe(AMBER);
    feed.send({ type: 'delta', topic: 'pnl', key: 'paper', seq: 4, data: { ...book, asOf: far, catchUp: { catchingUp: false, behindMs: 30_000, asOf: far } } });
    await expect.poll(() => page.locator('#catch-up').isVisible()).toBe(false);
    // The demo's engine replaying a past window on its live clock (catchUp.replay): a neutral
    // 'replaying <date>', not the amber warning of a backlog (which it showed for every demo).
    feed.send({ type: 'delta', topic: 'pnl', key: 'paper', seq: 5, data: { ...book, asOf: far, catchUp: { catchingUp: true, behindMs: 700 * 24 * 60 * MIN, asOf: far, replay: true } } });
    await expect.poll(() => page.locator('#catch-up').isVisible()).toBe(true);
    expect(await page.textContent('#catch-up')).toBe('replaying 2024-12-01 09:00 UTC');
    expect(await page.getAttribute('#catch-up', 'class')).toBe('conn-replay');
    expect(await page.evaluate(CATCH_UP_BACKGROUND)).not.toBe(AMBER);
    feed.send({ type: 'delta', topic: 'pnl', key: 'paper', seq: 6, data: { ...book, asOf: far, catchUp: { catchingUp: false, behindMs: 30_000, asOf: far, replay: true } } });
    await expect.poll(() => page.locator('#catch-up').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  }, 30_000);

  it("fits every panel's tables in the panel at 1500, 1251 (the narrowest with two columns), 1250 and 1000 px wide: nothing wider than its box, clipped out of sight", async () => {
    const { feed, page, errors } = await openPage();
    // As after a demo: two positions with their marks, limit orders, fills and a reject, registry events with their reasons, actors.
    const book = {
      ...pnl(97.69), currency: 'USDT', daily: -17.11, drawdown: 19.42, limits: { maxDailyLoss: 500, maxDrawdown: 1500 }, asOf: T0,
      positions: [
        { venue: 'binance', symbol: 'BTC/USDT', qty: -0.00811858, avgPrice: 61_641.6, realised: 0, unrealised: -9.18, price: 62_772 },
        { venue: 'binance', symbol: 'ETH/USDT', qty: 1.23456789, avgPrice: 3_401.12, realised: 0, unrealised: 45.71, price: 3_438.16 },
      ],
    };
    feed.send({ type: 'snapshot', topic: 'pnl', key: 'paper', seq: 1, data: book });
    const order = (i: number) => ({
      type: 'exec.order', v: 1, id: `o-${i}`, ts: T0 + i * MIN, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s-${i}`, side: 'buy', qty: 0.00405929,
      orderType: 'limit', limitPrice: 62_803.4, expiresAt: T0 + 60 * MIN, reducing: false,
    });
    let seq = 0;
    for (let i = 1; i <= 3; i++) {
      feed.send({ type: 'delta', topic: 'orders', key: 'BTC/USDT', seq: ++seq, data: order(i) });
      feed.send({ type: 'delta', topic: 'orders', key: 'BTC/USDT', seq: ++seq, data: { ...fill(i), qty: 0.00405929, price: 62_913.9 } });
    }
    feed.send({ type: 'delta', topic: 'orders', key: 'BTC/USDT', seq: ++seq, data: { ...reject, detail: 'POSITION_LIMIT: position 0.0123 BTC/USDT would exceed its limit of 0.01' } });
    const event = (version: number, event: string, reason: string) => ({
      type: 'model.event', v: 1, id: `m:${version}:${event}`, ts: T0 + version, name: 'direction-mlp', event, version, alias: event === 'promoted' ? 'production' : null, previousVersion: null, actor: 'sextant demo', reason,
    });
    feed.send({ type: 'snapshot', topic: 'models', key: 'direction-mlp', seq: 1, data: event(1, 'registered', 'baseline trained on the demo window with seed 42') });
    feed.send({ type: 'snapshot', topic: 'models', key: 'direction-mlp', seq: 2, data: event(1, 'promoted', 'trained on the years before the demo window; promoted for the demo') });
    for (const [i, id] of ['asset:binance:BTC/USDT', 'decision:dirmlp', 'labeling:dirmlp'].entries()) feed.send({ type: 'snapshot', topic: 'actors', key: id, seq: i + 1, data: { id, kind: id.split(':')[0], state: 'live', restarts: 0 } });
    const pred = {
      type: 'pred', v: 1, id: 'p:dirmlp:f1', ts: T0, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', source: 'f1', model: { name: 'direction-mlp', version: 1 }, featureSpecHash: 'h', horizonMs: 4 * 60 * MIN,
      probs: { down: 0.349, flat: 0.378, up: 0.273 }, expectedReturn: -0.00153, interval80: [-0.00854, 0.00547], interval95: [-0.01, 0.01],
      attributions: [{ feature: 'rsi_14', contribution: 0.00151 }, { feature: 'bb_lower_20_2', contribution: 0.00119 }, { feature: 'sma_50', contribution: -0.00113 }], confidence: 0.4, price: 62_772, intent: null,
    };
    feed.send({ type: 'snapshot', topic: 'predictions', key: 'BTC/USDT', seq: 1, data: pred });
    for (const [i, symbol] of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'].entries())
      feed.send({ type: 'snapshot', topic: 'features', key: symbol, seq: i + 1, data: { type: 'feat.vector', v: 1, id: `f:${symbol}`, venue: 'binance', symbol, ts: T0, source: `b:${symbol}`, values: { macd_signal_12_26_9: 248.36, log_ret_1: -0.00205295, mid: null } } });
    // The md snapshot's last bars of each symbol (gateway.mdSnapshotBars), in seq order: each drawn, not the newest alone.
    const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
    for (let i = 0; i < 30; i++)
      for (const [k, symbol] of symbols.entries())
        feed.send({ type: 'snapshot', topic: 'md', key: symbol, seq: 3 * i + k + 1, data: { type: 'md.bar', v: 1, id: `b:${symbol}:${i}`, venue: 'binance', symbol, tf: '1h', ts: T0 - (29 - i) * 60 * MIN, open: 62_700, high: 62_900, low: 62_600, close: 62_772 + i, volume: 3 } });
    const charts = (attr: string): Promise<(string | null)[]> => page.locator('.chart-card').evaluateAll((cs, a) => cs.map((c) => c.getAttribute(a)), attr);
    await expect.poll(() => charts('data-candles')).toEqual(['30', '30', '30']);
    expect(await page.textContent('.chart-card[data-symbol="BTC/USDT"] .last-price')).toBe('62,801 USDT');
    // Empty bars right of each newest candle, after the charts beside it resized it: its time label,
    // centred on it, is not cut by the price scale ('23:0'), nor are the newest candles out of view.
    await expect.poll(() => charts('data-right-gap')).toEqual(['4', '4', '4']);
    await expect.poll(() => page.locator('#orders tbody tr').count()).toBe(7);
    await expect.poll(() => page.locator('#models table.model-events tbody tr').count()).toBe(2);
    await expect.poll(() => page.locator('#positions tbody tr').count()).toBe(2);
    await expect.poll(() => page.locator('#actors tbody tr').count()).toBe(3);
    // A market-data feed down with a long reason, one silent, one live.
    const feeds = [
      { venue: 'binance', symbol: 'BTC/USDT', stream: 'bar 1m', state: 'retrying', code: 'RATE_LIMITED', reason: 'binance 429 Too Many Requests: {"code":-1003,"msg":"Too many requests; current limit of IP(203.0.113.7) is 6000 requests per minute."}', retryAt: T0 + 30_000, ageMs: 4_200 },
      { venue: 'binance', symbol: 'ETH/USDT', stream: 'trade', state: 'unknown', lastState: 'live', reason: 'gateway silent: its last status (live) is 30001 ms old, past 3 × 10000 ms', ageMs: 30_001 },
      { venue: 'binance', symbol: 'SOL/USDT', stream: 'quote', state: 'live', ageMs: 900 },
    ];
    for (const [i, f] of feeds.entries()) feed.send({ type: 'snapshot', topic: 'feeds', key: `${f.venue}:${f.symbol}:${f.stream}`, seq: i + 1, data: f });
    await expect.poll(() => page.locator('#feeds tbody tr').count()).toBe(3);
    // Every panel and scrolling box: what it holds is no wider than what it shows.
    const overflowing = (): Promise<string[]> =>
      page.evaluate(`[...document.querySelectorAll('.panel, .panel .scroll')].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => (e.id || e.closest('.panel').id + ' ' + e.className) + ': ' + e.scrollWidth + ' > ' + e.clientWidth)`);
    for (const width of [1500, 1251, 1250, 1000]) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(50);
      expect({ width, overflowing: await overflowing() }).toEqual({ width, overflowing: [] });
      // Resized, the charts still show their newest candle with the gap.
      await expect.poll(() => charts('data-right-gap')).toEqual(['4', '4', '4']);
    }
    // Still all there: the unrealised PnL, a price with its unit, a refusal's reason (wrapped, not cut).
    expect(await page.locator('#positions tbody tr').first().locator('td').last().textContent()).toBe('-9.18 USDT');
    expect(await page.locator('#orders tbody tr.order-buy').first().locator('td').last().textContent()).toBe('62,803.4 USDT');
    expect(errors).toEqual([]);
  }, 30_000);

  it("draws one timeframe of 1h and 1m bars live, whichever comes first: the finest, then the strategy's once the feed says it; the label says which", async () => {
    const { feed, page, errors } = await openPage();
    const bar = (tf: '1h' | '1m', i: number, seq: number) => ({ type: 'snapshot', topic: 'md', key: 'BTC/USDT', seq, data: { type: 'md.bar', v: 1, id: `b:${tf}:${i}`, venue: 'binance', symbol: 'BTC/USDT', tf, ts: T0 + i * (tf === '1h' ? 60 : 1) * MIN, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 } });
    // The 1h slot's bars come first in the snapshot: the chart used to draw 1h from then on.
    let seq = 0;
    for (let i = 0; i < 3; i++) feed.send(bar('1h', i, ++seq));
    for (let i = 0; i < 5; i++) feed.send(bar('1m', i, ++seq));
    const card = page.locator('.chart-card[data-symbol="BTC/USDT"]');
    await expect.poll(() => card.getAttribute('data-tf')).toBe('1m');
    expect(await card.getAttribute('data-candles')).toBe('5');
    expect(await card.locator('.chart-tf').textContent()).toBe('1m');
    // The decision actor says the strategy decides on 1h: its bars, kept meanwhile, are drawn.
    feed.send({ type: 'snapshot', topic: 'actors', key: 'decision:dir', seq: 1, data: { id: 'decision:dir', kind: 'decision', state: 'live', model: 'direction-mlp@1', timeframe: '1h' } });
    await expect.poll(() => card.getAttribute('data-tf')).toBe('1h');
    expect(await card.getAttribute('data-candles')).toBe('3');
    expect(await card.locator('.chart-tf').getAttribute('title')).toBe("1h candles: the strategy's timeframe");
    expect(errors).toEqual([]);
  }, 30_000);

  it("names the quote currency on each chart's price scale and beside its last price; marks the chart of a symbol a restarted engine no longer trades", async () => {
    const { feed, page, errors } = await openPage();
    const bar = (symbol: string, i: number, seq: number, close: number) => ({ type: 'snapshot', topic: 'md', key: symbol, seq, data: { type: 'md.bar', v: 1, id: `b:${symbol}:${i}`, venue: 'binance', symbol, tf: '1h', ts: T0 + i * 60 * MIN, open: close, high: close, low: close, close, volume: 3 } });
    const asset = (symbol: string, seq: number) => ({ type: 'snapshot', topic: 'actors', key: `asset:binance:${symbol}`, seq, data: { id: `asset:binance:${symbol}`, kind: 'asset', state: 'live' } });
    feed.send(bar('BTC/USDT', 0, 1, 42_000.5));
    feed.send(bar('ETH/BTC', 0, 2, 0.0525));
    const btc = page.locator('.chart-card[data-symbol="BTC/USDT"]');
    const eth = page.locator('.chart-card[data-symbol="ETH/BTC"]');
    await expect.poll(() => eth.getAttribute('data-candles')).toBe('1');
    expect(await btc.locator('.price-unit').textContent()).toBe('USDT');
    expect(await eth.locator('.price-unit').textContent()).toBe('BTC');
    await expect.poll(() => btc.locator('.last-price').textContent()).toBe('42,000.5 USDT');
    // The unit sits over the price scale: at the chart's right edge, inside the chart's box, in sight.
    const unitBox = await btc.locator('.price-unit').boundingBox();
    const hostBox = await btc.locator('.chart-host').boundingBox();
    expect(unitBox !== null && hostBox !== null && unitBox.x + unitBox.width <= hostBox.x + hostBox.width && unitBox.x + unitBox.width > hostBox.x + hostBox.width - 20 && unitBox.y >= hostBox.y).toBe(true);
    expect(await btc.locator('.price-unit').isVisible()).toBe(true);
    // Nothing is marked before the engine's actors say which symbols it trades; then both are named.
    feed.send(asset('BTC/USDT', 1));
    feed.send(asset('ETH/BTC', 2));
    await expect.poll(() => page.locator('#actors tbody tr').count()).toBe(2);
    expect([await btc.getAttribute('data-traded'), await eth.getAttribute('data-traded')]).toEqual(['true', 'true']);

    // The engine restarts with BTC only: its actors snapshot names no ETH/BTC actor, and that chart is marked, not removed.
    feed.sockets[0]?.ws.close();
    await feed.subscribed(2, TOPICS);
    feed.send(bar('BTC/USDT', 1, 1, 42_100));
    feed.send(asset('BTC/USDT', 1));
    feed.send({ type: 'snapshot', topic: 'actors', key: 'risk:paper', seq: 2, data: { id: 'risk:paper', kind: 'risk', state: 'ACTIVE' } });
    await expect.poll(() => eth.getAttribute('data-traded')).toBe('false');
    expect(await eth.locator('.chart-gone-note').textContent()).toBe('not traded now');
    expect(await eth.locator('.chart-gone-note').isVisible()).toBe(true);
    expect(await btc.getAttribute('data-traded')).toBe('true');
    expect(await btc.locator('.chart-gone-note').isVisible()).toBe(false);
    expect(await eth.getAttribute('data-candles')).toBe('1');
    // It comes back: unmarked.
    feed.send({ type: 'delta', topic: 'actors', key: 'asset:binance:ETH/BTC', seq: 3, data: { id: 'asset:binance:ETH/BTC', kind: 'asset', state: 'warming' } });
    await expect.poll(() => eth.getAttribute('data-traded')).toBe('true');
    expect(await eth.locator('.chart-gone-note').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  }, 30_000);

  it('draws one symbol on two venues as two charts, each its own prices, named by venue; two features columns; marks the venue the engine does not trade', async () => {
    const { feed, page, errors } = await openPage();
    let seq = 0;
    const bar = (venue: string, symbol: string, i: number, close: number) => ({
      type: 'snapshot', topic: 'md', key: symbol, seq: ++seq,
      data: { type: 'md.bar', v: 1, id: `b:${venue}:${symbol}:${i}`, venue, symbol, tf: '1h', ts: T0 + i * 60 * MIN, open: close, high: close, low: close, close, volume: 3 },
    });
    // BTC/USDT on kraken and on binance, hour by hour, and ETH/USDT on binance (the md snapshot's order).
    for (let i = 0; i < 3; i++) {
      feed.send(bar('kraken', 'BTC/USDT', i, 42_100 + i));
      feed.send(bar('binance', 'BTC/USDT', i, 42_000 + i));
    }
    feed.send(bar('binance', 'ETH/USDT', 0, 3_000));
    const cards = (attr: string): Promise<(string | null)[]> => page.locator('.chart-card').evaluateAll((cs, a) => cs.map((c) => c.getAttribute(a)), attr);
    await expect.poll(() => cards('data-candles')).toEqual(['3', '3', '1']);
    expect(await cards('data-symbol')).toEqual(['BTC/USDT', 'BTC/USDT', 'ETH/USDT']);
    expect(await cards('data-venue')).toEqual(['binance', 'kraken', 'binance']);
    expect(await page.locator('.chart-card .chart-venue').allTextContents()).toEqual(['binance', 'kraken', 'binance']);
    const btc = (venue: string) => page.locator(`.chart-card[data-venue="${venue}"][data-symbol="BTC/USDT"]`);
    // A trade on kraken moves kraken's last price only.
    feed.send({ type: 'delta', topic: 'md', key: 'BTC/USDT', seq: ++seq, data: { type: 'md.trade', v: 1, id: 't:kraken:BTC/USDT:1', venue: 'kraken', symbol: 'BTC/USDT', ts: T0 + 3 * 60 * MIN, price: 42_150.5, qty: 0.1, side: 'buy', recvTs: T0 + 3 * 60 * MIN } });
    await expect.poll(() => btc('kraken').locator('.last-price').textContent()).toBe('42,150.5 USDT');
    expect(await btc('binance').locator('.last-price').textContent()).toBe('42,002 USDT');

    // The latest features of each: two BTC/USDT columns, each headed with its venue.
    for (const [i, venue] of ['kraken', 'binance'].entries())
      feed.send({ type: 'snapshot', topic: 'features', key: 'BTC/USDT', seq: i + 1, data: { type: 'feat.vector', v: 1, id: `f:${venue}`, venue, symbol: 'BTC/USDT', ts: T0, source: `b:${venue}`, values: { log_ret_1: i === 0 ? 0.5 : -0.25 } } });
    await expect.poll(() => page.locator('#features thead th').allTextContents()).toEqual(['feature', 'BTC/USDT binance', 'BTC/USDT kraken']);
    expect(await page.locator('#features tbody td').allTextContents()).toEqual(['log_ret_1', '-0.25', '0.5']);

    // The engine's asset actors name BTC/USDT on binance (and ETH/USDT) only: the kraken chart is marked, binance's not.
    for (const [i, id] of ['asset:binance:BTC/USDT', 'asset:binance:ETH/USDT'].entries()) feed.send({ type: 'snapshot', topic: 'actors', key: id, seq: i + 1, data: { id, kind: 'asset', state: 'live' } });
    await expect.poll(() => btc('kraken').getAttribute('data-traded')).toBe('false');
    expect(await btc('binance').getAttribute('data-traded')).toBe('true');
    expect(errors).toEqual([]);
  }, 30_000);

  it('names the venue beside the symbol of order and prediction rows once a second venue comes (the symbol alone before)', async () => {
    const { feed, page, errors } = await openPage();
    let seq = 0;
    const pred = (venue: string, i: number) => ({
      type: 'pred', v: 1, id: `p:dir:${venue}:${i}`, ts: T0 + i * MIN, strategy: 'dir', venue, symbol: 'BTC/USDT', source: `f${i}`, model: { name: 'direction-mlp', version: 2 }, featureSpecHash: 'h', horizonMs: 4 * 60 * MIN,
      probs: { down: 0.2, flat: 0.3, up: 0.5 }, expectedReturn: 0.001, interval80: [-0.002, 0.004], interval95: [-0.004, 0.006], attributions: [], confidence: 0.5, price: 42_500, intent: null,
    });
    const send = (topic: string, venue: string, data: unknown): void => feed.send({ type: 'delta', topic, key: 'BTC/USDT', venue, seq: ++seq, data });
    /** The symbol cells of a list, newest row first, as drawn (innerText: what a reader sees). */
    const symbols = (list: string): Promise<string[]> => page.locator(`#${list} tbody tr td:nth-child(2)`).allInnerTexts();

    // One venue: the symbol alone, as before.
    send('orders', 'binance', fill(1));
    send('predictions', 'binance', pred('binance', 1));
    await expect.poll(() => symbols('orders')).toEqual(['BTC/USDT']);
    await expect.poll(() => symbols('predictions')).toEqual(['BTC/USDT']);

    // Kraken's BTC/USDT too: every row names its venue, the ones shown already included.
    send('orders', 'kraken', { ...fill(2), id: 'x:o-k:1', orderId: 'o-k', venue: 'kraken' });
    send('orders', 'kraken', { ...reject, id: 'r:s-k', ts: T0 + 3 * MIN, venue: 'kraken', detail: '' });
    send('predictions', 'kraken', pred('kraken', 2));
    await expect.poll(() => symbols('orders')).toEqual(['BTC/USDT kraken', 'BTC/USDT kraken', 'BTC/USDT binance']);
    await expect.poll(() => symbols('predictions')).toEqual(['BTC/USDT kraken', 'BTC/USDT binance']);
    expect(await page.locator('#orders .row-venue').allTextContents()).toEqual(['kraken', 'kraken', 'binance']);
    // A later binance row is named too.
    send('predictions', 'binance', pred('binance', 3));
    await expect.poll(() => symbols('predictions')).toEqual(['BTC/USDT binance', 'BTC/USDT kraken', 'BTC/USDT binance']);
    expect(errors).toEqual([]);
  }, 30_000);

  it('says an address locked out for failed logins (429) on the control line and in the connection panel, and the feed waits out Retry-After', async () => {
    const feed = await startFakeFeed(dist);
    opened.push(() => feed.close());
    feed.refuse(429, { 'Retry-After': '30', 'Content-Type': 'application/json' });
    const page = await browser.newPage();
    opened.push(() => page.close());
    page.setDefaultTimeout(5_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${feed.url}/?token=wrong`);
    await expect.poll(() => page.getAttribute('#connection', 'data-state')).toBe('locked-out');
    expect(await page.textContent('#connection .conn-label')).toMatch(/^locked out for failed logins: check the viewer token; next try in (30|29) s \(attempt 1\)$/);
    expect(await page.textContent('#connection .conn-detail')).toContain('viewer token refused, and this address is locked out for failed logins for 30 s (Retry-After)');
    // The backoff (0.5 s, 1 s, 2 s …) would have tried again three times by now.
    await page.waitForTimeout(2_500);
    expect(feed.refusedUpgrades()).toBe(1);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('locked-out');

    await page.route('**/api/ctl/**', (route) =>
      route.fulfill({ status: 429, headers: { 'Retry-After': '30' }, contentType: 'application/json', body: JSON.stringify({ error: 'too many requests', message: 'too many failed authentications from this address: try again later' }) }),
    );
    await page.fill('#operator-token', 'guess');
    await page.click('#halt');
    await expect.poll(() => page.textContent('#ctl-reply')).toBe('operator token refused, and this address is locked out for failed logins for 30 s (Retry-After): check the token (a valid one is accepted even now)');
    expect(await page.getAttribute('#ctl-reply', 'data-ok')).toBe('false');
    expect(errors).toEqual([]);
  }, 30_000);

  it('a control command in flight is not shown as refused when the one before was', async () => {
    const { page, errors } = await openPage();
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    await page.route('**/api/ctl/**', async (route) => {
      calls++;
      if (calls === 1) {
        await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ v: 1, id: 'c1', ok: false, error: { code: 'REFUSED', message: 'no' } }) });
        return;
      }
      // The second command waits until the test has looked at the reply line.
      await held;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ v: 1, id: 'c2', ok: true, result: { status: 'HALTED' } }) });
    });
    await page.fill('#operator-token', 'op');
    await page.click('#halt');
    await expect.poll(() => page.textContent('#ctl-reply')).toBe('halt refused: REFUSED — no');
    expect(await page.getAttribute('#ctl-reply', 'data-ok')).toBe('false');
    const red = await page.evaluate(REPLY_COLOUR);

    await page.click('#resume');
    await expect.poll(() => page.textContent('#ctl-reply')).toBe('resume…');
    expect(await page.getAttribute('#ctl-reply', 'data-ok')).toBeNull();
    expect(await page.evaluate(REPLY_COLOUR)).not.toBe(red);
    release();
    await expect.poll(() => page.textContent('#ctl-reply')).toBe('resume accepted; trading state HALTED');
    expect(await page.getAttribute('#ctl-reply', 'data-ok')).toBe('true');
    expect(errors).toEqual([]);
  }, 30_000);
});
