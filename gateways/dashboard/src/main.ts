import type { Timeframe } from '../../../streams/messages/bar.js';
import { assetKey, compareAssets } from './asset-key.js';
import type { Asset } from './asset-key.js';
import { SymbolChart } from './chart.js';
import { sendControl } from './control-client.js';
import { probeVerdictOf } from './auth-lockout.js';
import { el } from './dom.js';
import { EventTimeLag } from './event-lag.js';
import { createFeedClient } from './feed-client.js';
import type { FeedClient, OpenSocket, ProbeVerdict } from './feed-client.js';
import { TOPICS } from './feed-protocol.js';
import { addressWithoutToken } from './page-address.js';
import { ActorsPanel } from './panels/actors.js';
import { ConnectionPanel } from './panels/connection.js';
import { FeaturesPanel } from './panels/features.js';
import { FeedsPanel } from './panels/feeds.js';
import { ModelsPanel } from './panels/models.js';
import { OrdersPanel } from './panels/orders.js';
import { PositionsPanel } from './panels/positions.js';
import { PredictionsPanel } from './panels/predictions.js';
import { RiskPanel } from './panels/risk.js';
import { SnapshotReplace } from './snapshot-replace.js';
import { TradedSymbols } from './traded-symbols.js';
import { parsePayload } from './topics.js';
import type { Payload } from './topics.js';

/**
 * The dashboard page: reads the viewer token from `?token=` (or the field), opens the feed,
 * subscribes to every topic and routes each validated payload to its panel. `?symbols=A,B`
 * narrows the feed to some symbols, on every venue, or on one as `venue:symbol`
 * (`?symbols=kraken:BTC/USDT,ETH/USDT`; a bad entry, or one no configured asset has, is refused by the
 * feed, its reason shown in the connection panel and, in place of "Waiting for bars…", the prices panel). The token is then taken out of the address bar (kept in
 * memory and sessionStorage for reconnects and reloads), out of the history and screenshots.
 */

const VIEWER_KEY = 'sextant.viewerToken';

const openBrowserSocket: OpenSocket = (url, h) => {
  const ws = new WebSocket(url);
  ws.onopen = () => h.open();
  ws.onmessage = (e: MessageEvent) => h.message(e.data);
  ws.onclose = (e: CloseEvent) => h.close(e.code, e.reason);
  return { send: (frame) => ws.send(frame), close: () => ws.close() };
};

/**
 * Whether the gateway knows the token: the browser hides the 401 of a refused websocket upgrade
 * (close 1006, as for a server that is down), so the feed client asks the plain `GET /ws`, which
 * answers 401 for a token the upgrade would refuse and 426 for one it would take (429 with
 * Retry-After: refused, and the address locked out for failed logins until then).
 */
const probeToken =
  (token: string) =>
  async (): Promise<ProbeVerdict> => {
    const r = await fetch('/ws', { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    return probeVerdictOf(r.status, r.headers.get('Retry-After'), Date.now());
  };

const timers = {
  setTimeout: (fn: () => void, ms: number): unknown => window.setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => window.clearTimeout(handle as number),
  now: (): number => Date.now(),
};

function start(): void {
  const params = new URLSearchParams(location.search);
  const symbols = (params.get('symbols') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const app = document.getElementById('app') ?? document.body;

  const connection = new ConnectionPanel();
  const viewerToken = el('input', { type: 'password', id: 'viewer-token', placeholder: 'viewer token', autocomplete: 'off' });
  const connect = el('button', { type: 'button', id: 'connect' }, 'Connect');
  const login = el('form', { class: 'login' }, viewerToken, connect);
  const charts = el('div', { class: 'charts', id: 'charts' });
  const waitingForBars = 'Waiting for bars…';
  const noCharts = el('p', { class: 'muted', id: 'no-charts' }, waitingForBars);
  const risk = new RiskPanel((verb, token, symbol, reason) => sendControl(location.origin, verb, token, symbol, reason));
  const positions = new PositionsPanel();
  const features = new FeaturesPanel();
  const predictions = new PredictionsPanel();
  const orders = new OrdersPanel();
  const actors = new ActorsPanel();
  const feeds = new FeedsPanel();
  const models = new ModelsPanel();
  // The newest market data drawn against the engine's event time (the book's newest mark).
  const lag = new EventTimeLag();

  app.replaceChildren(
    el('header', { class: 'top' }, el('h1', {}, 'Sextant'), connection.root, risk.banner, feeds.banner, login),
    el(
      'main',
      { class: 'grid' },
      el('section', { class: 'panel wide', id: 'prices' }, el('h2', {}, 'Prices'), noCharts, charts),
      el('div', { class: 'side' }, risk.root, positions.root, actors.root, feeds.root),
      predictions.root,
      orders.root,
      features.root,
      models.root,
    ),
  );

  // A chart per venue and symbol (`asset-key.ts`): BTC/USDT on two venues is two prices.
  const byAsset = new Map<string, SymbolChart>();
  // The assets the engine's asset actors name on this connection: a chart of another is marked.
  const traded = new TradedSymbols();
  // The strategy's timeframe, once the decision actor's status says it: every chart draws its bars.
  let strategyTf: Timeframe | null = null;
  const chartFor = (a: Asset): SymbolChart => {
    const key = assetKey(a.venue, a.symbol);
    let c = byAsset.get(key);
    if (c === undefined) {
      c = new SymbolChart(a.venue, a.symbol);
      c.prefer(strategyTf);
      c.traded(traded.traded(a.venue, a.symbol));
      byAsset.set(key, c);
      noCharts.remove();
      // Before the first chart that sorts after it (by symbol, then venue).
      const after = [...byAsset.values()].filter((o) => compareAssets(o, a) > 0).sort(compareAssets)[0];
      charts.insertBefore(c.root, after?.root ?? null);
    }
    return c;
  };

  const route = (p: Payload): void => {
    switch (p.topic) {
      case 'md':
        lag.md(p.data);
        if (p.data.type === 'md.bar') chartFor(p.data).bar(p.data);
        else byAsset.get(assetKey(p.data.venue, p.data.symbol))?.price(p.data.type === 'md.trade' ? p.data.price : (p.data.bid + p.data.ask) / 2);
        return;
      case 'features':
        features.update(p.data);
        return;
      case 'predictions':
        chartFor(p.data).prediction(p.data);
        predictions.add(p.data);
        models.prediction(p.data);
        return;
      case 'orders':
        if (p.data.type === 'exec.order') chartFor(p.data).order(p.data);
        else if (p.data.type === 'exec.fill') chartFor(p.data).fill(p.data);
        orders.add(p.data);
        return;
      case 'risk':
        risk.update(p.data);
        return;
      case 'pnl':
        positions.update(p.data);
        lag.engine(p.data.asOf);
        connection.catchUp(p.data.catchUp);
        if (p.data.state !== undefined) risk.current({ account: p.data.account, state: p.data.state });
        return;
      case 'actors':
        actors.update(p.data);
        // A newly named asset may mark the charts of those not named on this connection (or unmark its own).
        if (traded.actor(p.data.id)) for (const c of byAsset.values()) c.traded(traded.traded(c.venue, c.symbol));
        if (p.data.kind === 'decision') {
          models.decision(p.data);
          strategyTf = p.data.timeframe ?? null;
          for (const c of byAsset.values()) c.prefer(strategyTf);
        }
        return;
      case 'models':
        models.event(p.data);
        return;
      case 'feeds':
        feeds.update(p.data);
        return;
    }
  };

  // A new connection's snapshot replaces what these panels held (a restarted engine's actors, accounts …);
  // an empty one (`subscribed` with snapshot 0) clears them at once.
  const replace = new SnapshotReplace({
    // The decision actor's refusal goes with it: its snapshot frame says it again.
    actors: {
      reset: () => {
        actors.reset();
        models.clearRefused();
      },
      clear: () => {
        actors.clear();
        models.clearRefused();
      },
    },
    // The catch-up note is the book's: a new engine's snapshot says it again (or nothing, without a book).
    pnl: {
      reset: () => {
        positions.reset();
        connection.catchUp(null);
      },
      clear: () => {
        positions.clear();
        connection.catchUp(null);
      },
    },
    models: { reset: () => models.resetAliases(), clear: () => models.clearAliases() },
    features,
    feeds,
  });

  let feed: FeedClient | null = null;
  let invalid = 0;
  // Shown in the header: a refused payload leaves its panel as it was.
  let refused: { count: number; last: string | null } = { count: 0, last: null };
  const open = (token: string): void => {
    feed?.close();
    sessionStorage.setItem(VIEWER_KEY, token);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    // Status reports start during creation, before `f` exists.
    let self: FeedClient | null = null;
    const f = createFeedClient({
      url: `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`,
      openSocket: openBrowserSocket,
      timers,
      random: Math.random,
      probe: probeToken(token),
      onUpdate: (u) => {
        replace.update(u.topic);
        const parsed = parsePayload(u.topic, u.key, u.kind, u.data);
        if (parsed.ok) return route(parsed.payload);
        refused = { count: refused.count + 1, last: parsed.reason.length > 200 ? `${parsed.reason.slice(0, 200)}…` : parsed.reason };
        if (self !== null) connection.show(self.status(), self.stats(), Date.now(), refused);
        if (invalid++ < 20) console.warn(`dashboard: refused ${parsed.reason}`);
      },
      onSubscribed: (topic, snapshot) => {
        if (topic === 'md') noCharts.textContent = waitingForBars;
        replace.subscribed(topic, snapshot);
      },
      // A `?symbols=` entry the feed can never match refuses the subscribe whole: no bar will come, and the prices panel says why, not "waiting".
      onRefused: (topic, reason) => {
        if (topic === 'md') noCharts.textContent = `No prices: the feed refused ?symbols=${symbols.join(',')}: ${reason}`;
      },
      onStatus: (s) => {
        replace.status(s.state);
        traded.status(s.state);
        connection.show(s, self?.stats() ?? { received: 0, applied: 0, stale: 0, invalid: 0, reconnects: 0 }, Date.now(), refused);
        if (s.state === 'refused') {
          // Not kept for a reload; the field keeps it to correct, and Connect opens a new feed.
          if (sessionStorage.getItem(VIEWER_KEY) === token) sessionStorage.removeItem(VIEWER_KEY);
          viewerToken.focus();
          viewerToken.select();
        }
      },
      onInvalid: (reason) => {
        if (invalid++ < 20) console.warn(`dashboard: refused frame: ${reason}`);
      },
    });
    self = f;
    feed = f;
    for (const topic of TOPICS) f.subscribe(topic, symbols.length > 0 && ['md', 'features', 'predictions', 'orders'].includes(topic) ? symbols : undefined);
  };

  login.addEventListener('submit', (e) => {
    e.preventDefault();
    if (viewerToken.value.trim() !== '') open(viewerToken.value.trim());
  });
  connect.addEventListener('click', () => login.requestSubmit());
  window.setInterval(() => {
    connection.lag(lag.behind());
    if (feed !== null) connection.show(feed.status(), feed.stats(), Date.now(), refused);
  }, 1000);

  const fromAddress = params.get('token') ?? '';
  const initial = fromAddress !== '' ? fromAddress : (sessionStorage.getItem(VIEWER_KEY) ?? '');
  viewerToken.value = initial;
  if (initial !== '') open(initial);
  else connection.idle('enter the viewer token');
  const bare = addressWithoutToken(location.href);
  if (bare !== undefined) history.replaceState(history.state, '', bare);
}

start();
