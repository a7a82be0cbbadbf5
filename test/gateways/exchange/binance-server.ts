import { readFileSync } from 'node:fs';
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

/**
 * A local server that speaks the parts of the Binance spot REST and websocket APIs that ccxt's
 * `binance` (REST) and `pro.binance` (websocket) call for public market data:
 *
 * - REST `/api/v3/exchangeInfo` (loadMarkets), `/api/v3/klines` (fetchOHLCV),
 *   `/api/v3/aggTrades` (fetchTrades: by `startTime`/`endTime`, at most an hour apart, or by
 *   `fromId`, the first aggregate trade id wanted, never both), `/api/v3/ticker/24hr` (fetchTicker);
 * - websocket `SUBSCRIBE` of `<sym>@kline_<tf>`, `<sym>@aggTrade`, `<sym>@ticker` on any path
 *   (ccxt appends a stream index to `urls.api.ws.spot`), answered `{result:null,id}`.
 *
 * The market is virtual and driven by the test: `advance()` closes the open bar (its final
 * kline, `x: true`) and opens the next one; `trade()` pushes an aggregate trade. The bars are real
 * 1m bars read from the shared data folder. Like the venue, a REST page holds at most 1000 rows
 * whatever `limit` asks; `capPages` lowers that cap (a venue whose pages are shorter than asked).
 * Faults: `failNext` answers the next REST calls with a status and body, `setWsDown` refuses
 * websocket upgrades (503 unless it names another status: 403, a key or region refused), `dropSockets` cuts every connection, `sendRaw` pushes an arbitrary frame to
 * the subscribers of a stream.
 */
export type Kline = Readonly<{ ts: number; open: number; high: number; low: number; close: number; volume: number }>;
export type AggTrade = Readonly<{ id: number; ts: number; price: number; qty: number; buyerMaker: boolean }>;

type Market = { id: string; base: string; quote: string; bars: Kline[]; open: number; trades: AggTrade[]; tickerSeq: number };
type Fault = { pathPrefix: string; status: number; body: string; remaining: number; headers: Readonly<Record<string, string>> };

export type BinanceServer = Readonly<{
  restUrl: string;
  wsUrl: string;
  /** Every REST request, `path?query`, in arrival order. */
  requests: string[];
  /** When each REST request arrived (`performance.now()`), beside `requests`. */
  requestTimes: number[];
  /** Index of the open (unfinished) bar of a market. */
  openIndex(id: string): number;
  bars(id: string): readonly Kline[];
  trades(id: string): readonly AggTrade[];
  /**
   * Closes the open bar (final kline to subscribers) and opens the next one (first kline).
   * `corrupt`: the final kline's high is below its low (REST keeps the true bar).
   */
  advance(id: string, n?: number, corrupt?: boolean): void;
  /** Records a trade and pushes it to subscribers (unless the sockets are down). */
  trade(id: string, t: AggTrade): void;
  /** Pushes a 24h ticker with this bid/ask at event time `ts`. */
  ticker(id: string, ts: number, bid: number, ask: number): void;
  /** `headers`: sent with each failed answer, e.g. `{ 'Retry-After': '1' }`. */
  failNext(pathPrefix: string, status: number, count?: number, body?: unknown, headers?: Readonly<Record<string, string>>): void;
  /** Rows per REST page (klines, aggTrades) at most, whatever `limit` asks: 1000 unless set. */
  capPages(rows: number): void;
  /** Refuses (or again takes) websocket upgrades, answering them `status` (503 unless set), `body` and `headers` (`Retry-After`, `Location`, a `Content-Type` in place of text/plain). */
  setWsDown(down: boolean, status?: number, body?: string, headers?: Readonly<Record<string, string>>): void;
  dropSockets(): void;
  /**
   * Stops pushing `stream` to the connections subscribed to it now, keeping them open (and their
   * other streams flowing): a venue that stalls one stream. A new `SUBSCRIBE` of it resumes it.
   */
  stall(stream: string): void;
  sendRaw(stream: string, frame: string): void;
  /** Number of websocket connections opened so far. */
  connections(): number;
  /** When each websocket upgrade request arrived (`performance.now()`), refused or taken: every dial. */
  upgradeTimes: number[];
  subscribed(stream: string): boolean;
  close(): Promise<void>;
}>;

const INTERVAL_MS: Readonly<Record<string, number>> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000 };

/** Real 1m bars of a CSV under the data folder (timestamp,datetime,open,high,low,close,volume,…). */
export function readKlines(path: string, count: number): Kline[] {
  const lines = readFileSync(path, 'utf8').split('\n').slice(1, count + 1);
  return lines.map((l) => {
    const c = l.split(',');
    return { ts: Number(c[0]), open: Number(c[2]), high: Number(c[3]), low: Number(c[4]), close: Number(c[5]), volume: Number(c[6]) };
  });
}

const klineRow = (b: Kline, tfMs: number): unknown[] => [b.ts, String(b.open), String(b.high), String(b.low), String(b.close), String(b.volume), b.ts + tfMs - 1, '0', 1, '0', '0', '0'];
/** The open bar as the venue shows it before it closes: the first minute's worth of its range. */
const partial = (b: Kline): Kline => ({ ts: b.ts, open: b.open, high: Math.max(b.open, b.close), low: Math.min(b.open, b.close), close: b.close, volume: b.volume / 2 });

export async function startBinanceServer(markets: ReadonlyArray<Readonly<{ base: string; quote: string; bars: Kline[]; open: number; trades?: AggTrade[] }>>): Promise<BinanceServer> {
  const byId = new Map<string, Market>();
  for (const m of markets) byId.set(`${m.base}${m.quote}`, { id: `${m.base}${m.quote}`, base: m.base, quote: m.quote, bars: m.bars, open: m.open, trades: [...(m.trades ?? [])], tickerSeq: 0 });
  const requests: string[] = [];
  const requestTimes: number[] = [];
  const faults: Fault[] = [];
  const subs = new Map<WebSocket, Set<string>>();
  /** Per connection, the streams {@link BinanceServer.stall} silenced. */
  const stalled = new Map<WebSocket, Set<string>>();
  let wsDown: { status: number; body: string; headers: Readonly<Record<string, string>> } | undefined;
  let connections = 0;
  let pageCap = 1000;
  const market = (id: string): Market => {
    const m = byId.get(id);
    if (m === undefined) throw new Error(`no market ${id}`);
    return m;
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://local');
    requests.push(`${url.pathname}${url.search}`);
    requestTimes.push(performance.now());
    const fault = faults.find((f) => url.pathname.startsWith(f.pathPrefix) && f.remaining > 0);
    if (fault !== undefined) {
      fault.remaining--;
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body);
      return;
    }
    const q = url.searchParams;
    const sym = q.get('symbol') ?? '';
    const known = byId.get(sym);
    if (url.pathname === '/api/v3/exchangeInfo') return json(res, 200, exchangeInfo([...byId.values()]));
    if (url.pathname === '/api/v3/ping') return json(res, 200, {});
    if (known === undefined) return json(res, 400, { code: -1121, msg: 'Invalid symbol.' });
    if (url.pathname === '/api/v3/klines') {
      const tfMs = INTERVAL_MS[q.get('interval') ?? ''];
      if (tfMs !== 60_000) return json(res, 400, { code: -1120, msg: 'Invalid interval.' });
      const start = q.has('startTime') ? Number(q.get('startTime')) : undefined;
      const end = q.has('endTime') ? Number(q.get('endTime')) : undefined;
      const limit = Math.min(Number(q.get('limit') ?? 500), pageCap);
      let rows = known.bars.slice(0, known.open + 1).map((b, i) => (i === known.open ? partial(b) : b));
      rows = rows.filter((b) => (start === undefined || b.ts >= start) && (end === undefined || b.ts <= end));
      rows = start === undefined ? rows.slice(-limit) : rows.slice(0, limit);
      return json(res, 200, rows.map((b) => klineRow(b, tfMs)));
    }
    if (url.pathname === '/api/v3/aggTrades') {
      const start = q.has('startTime') ? Number(q.get('startTime')) : undefined;
      const end = q.has('endTime') ? Number(q.get('endTime')) : undefined;
      const fromId = q.has('fromId') ? Number(q.get('fromId')) : undefined;
      const limit = Math.min(Number(q.get('limit') ?? 500), pageCap);
      if (fromId !== undefined && (start !== undefined || end !== undefined)) return json(res, 400, { code: -1128, msg: 'Combination of optional parameters invalid.' });
      if (start !== undefined && end !== undefined && end - start > 3_600_000) return json(res, 400, { code: -1127, msg: 'More than 1 hours between startTime and endTime.' });
      // Like the venue: in id order (the order they happened), from an id or a time, else the newest.
      const ordered = [...known.trades].sort((x, y) => x.id - y.id);
      let rows = fromId !== undefined ? ordered.filter((t) => t.id >= fromId) : ordered.filter((t) => (start === undefined || t.ts >= start) && (end === undefined || t.ts <= end));
      rows = start === undefined && fromId === undefined ? rows.slice(-limit) : rows.slice(0, limit);
      return json(res, 200, rows.map((t) => ({ a: t.id, p: String(t.price), q: String(t.qty), f: t.id, l: t.id, T: t.ts, m: t.buyerMaker, M: true })));
    }
    if (url.pathname === '/api/v3/ticker/24hr') {
      const b = known.bars[known.open]!;
      return json(res, 200, { symbol: sym, bidPrice: String(b.close - 0.01), bidQty: '1.5', askPrice: String(b.close + 0.01), askQty: '2.5', lastPrice: String(b.close), openTime: b.ts - 86_400_000, closeTime: b.ts + 30_000 });
    }
    json(res, 404, { code: -1, msg: `no route ${url.pathname}` });
  };

  const http: Server = createServer(handle);
  const wss = new WebSocketServer({ noServer: true });
  const upgradeTimes: number[] = [];
  http.on('upgrade', (req, socket, head) => {
    upgradeTimes.push(performance.now());
    if (wsDown !== undefined) {
      const reason = STATUS_CODES[wsDown.status] ?? 'Refused';
      const extra = Object.entries(wsDown.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      const typed = Object.keys(wsDown.headers).some((k) => k.toLowerCase() === 'content-type');
      socket.end(`HTTP/1.1 ${wsDown.status} ${reason}\r\n${typed ? '' : 'Content-Type: text/plain\r\n'}${extra}Content-Length: ${Buffer.byteLength(wsDown.body)}\r\n\r\n${wsDown.body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections++;
      subs.set(ws, new Set());
      ws.on('close', () => {
        subs.delete(ws);
        stalled.delete(ws);
      });
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { method?: string; params?: string[]; id?: number };
        if (msg.method !== 'SUBSCRIBE' && msg.method !== 'UNSUBSCRIBE') return;
        const set = subs.get(ws)!;
        for (const p of msg.params ?? []) {
          if (msg.method === 'SUBSCRIBE') set.add(p);
          else set.delete(p);
          stalled.get(ws)?.delete(p);
        }
        ws.send(JSON.stringify({ result: null, id: msg.id }));
        // Like the venue, a kline subscription soon sees the open bar.
        if (msg.method === 'SUBSCRIBE') {
          for (const p of msg.params ?? []) {
            const k = /^([a-z0-9]+)@kline_1m$/.exec(p);
            if (k !== null) {
              const m = byId.get(k[1]!.toUpperCase());
              if (m !== undefined) ws.send(JSON.stringify(klineEvent(m, partial(m.bars[m.open]!), false)));
            }
          }
        }
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;

  const push = (stream: string, frame: string): void => {
    for (const [ws, set] of subs) if (set.has(stream) && stalled.get(ws)?.has(stream) !== true && ws.readyState === ws.OPEN) ws.send(frame);
  };
  // Like the venue (every 2 s there), the open bar's kline is pushed again and again: ccxt hands
  // over what it cached in between only when the next message arrives.
  const heartbeat = setInterval(() => {
    for (const m of byId.values()) push(`${m.id.toLowerCase()}@kline_1m`, JSON.stringify(klineEvent(m, partial(m.bars[m.open]!), false)));
  }, 50);

  return {
    restUrl: `http://127.0.0.1:${port}`,
    // ccxt tells spot from contract connections by '/stream' in the url, as on stream.binance.com.
    wsUrl: `ws://127.0.0.1:${port}/stream/ws`,
    requests,
    requestTimes,
    openIndex: (id) => market(id).open,
    bars: (id) => market(id).bars,
    trades: (id) => market(id).trades,
    advance(id, n = 1, corrupt = false) {
      const m = market(id);
      for (let i = 0; i < n; i++) {
        if (m.open + 1 >= m.bars.length) throw new Error(`no more bars for ${id}`);
        const stream = `${id.toLowerCase()}@kline_1m`;
        const b = m.bars[m.open]!;
        push(stream, JSON.stringify(klineEvent(m, corrupt ? { ...b, high: b.low / 2 } : b, true)));
        m.open++;
        push(stream, JSON.stringify(klineEvent(m, partial(m.bars[m.open]!), false)));
      }
    },
    trade(id, t) {
      const m = market(id);
      m.trades.push(t);
      push(`${id.toLowerCase()}@aggTrade`, JSON.stringify(aggTradeEvent(id, t)));
    },
    ticker(id, ts, bid, ask) {
      const m = market(id);
      m.tickerSeq++;
      push(`${id.toLowerCase()}@ticker`, JSON.stringify(tickerEvent(id, ts, bid, ask, m.tickerSeq)));
    },
    failNext(pathPrefix, status, count = 1, body = { code: -1003, msg: 'Too many requests.' }, headers = {}) {
      faults.push({ pathPrefix, status, body: typeof body === 'string' ? body : JSON.stringify(body), remaining: count, headers });
    },
    capPages: (rows) => void (pageCap = rows),
    setWsDown: (down, status = 503, body = '', headers = {}) => void (wsDown = down ? { status, body, headers } : undefined),
    dropSockets() {
      for (const ws of subs.keys()) ws.terminate();
      subs.clear();
    },
    stall(stream) {
      for (const [ws, set] of subs) {
        if (!set.has(stream)) continue;
        let st = stalled.get(ws);
        if (st === undefined) stalled.set(ws, (st = new Set()));
        st.add(stream);
      }
    },
    sendRaw: push,
    connections: () => connections,
    upgradeTimes,
    subscribed: (stream) => [...subs.values()].some((s) => s.has(stream)),
    close: async () => {
      clearInterval(heartbeat);
      for (const ws of subs.keys()) ws.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export const aggTradeEvent = (id: string, t: AggTrade): unknown => ({ e: 'aggTrade', E: t.ts + 1, s: id, a: t.id, p: String(t.price), q: String(t.qty), f: t.id, l: t.id, T: t.ts, m: t.buyerMaker, M: true });

export function klineEvent(m: Readonly<{ id: string }>, b: Kline, closed: boolean): unknown {
  return {
    e: 'kline',
    E: b.ts + (closed ? 60_000 : 1_000),
    s: m.id,
    k: { t: b.ts, T: b.ts + 59_999, s: m.id, i: '1m', f: 1, L: 2, o: String(b.open), c: String(b.close), h: String(b.high), l: String(b.low), v: String(b.volume), n: 2, x: closed, q: '0', V: '0', Q: '0', B: '0' },
  };
}

function tickerEvent(id: string, ts: number, bid: number, ask: number, seq: number): unknown {
  const mid = (bid + ask) / 2;
  return {
    e: '24hrTicker', E: ts, s: id, p: '0', P: '0', w: String(mid), x: String(mid), c: String(mid), Q: '0.1', b: String(bid), B: '1.25', a: String(ask), A: '0.75',
    o: String(mid), h: String(ask), l: String(bid), v: '100', q: String(100 * mid), O: ts - 86_400_000, C: ts, F: seq, L: seq + 1, n: 2,
  };
}

function exchangeInfo(markets: readonly Market[]): unknown {
  return {
    timezone: 'UTC',
    serverTime: 0,
    rateLimits: [],
    exchangeFilters: [],
    symbols: markets.map((m) => ({
      symbol: m.id,
      status: 'TRADING',
      baseAsset: m.base,
      baseAssetPrecision: 8,
      quoteAsset: m.quote,
      quotePrecision: 8,
      quoteAssetPrecision: 8,
      baseCommissionPrecision: 8,
      quoteCommissionPrecision: 8,
      orderTypes: ['LIMIT', 'MARKET'],
      icebergAllowed: true,
      ocoAllowed: true,
      isSpotTradingAllowed: true,
      isMarginTradingAllowed: false,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000.00', tickSize: '0.01' },
        { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000.00', stepSize: '0.00001' },
        { filterType: 'NOTIONAL', minNotional: '5.00', applyMinToMarket: true, maxNotional: '9000000.00', applyMaxToMarket: false, avgPriceMins: 5 },
      ],
      permissions: [],
      permissionSets: [['SPOT']],
      defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
      allowedSelfTradePreventionModes: ['EXPIRE_MAKER'],
    })),
  };
}
