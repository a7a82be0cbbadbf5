import ccxt, { BadRequest, BadResponse, DDoSProtection, ExchangeClosedByUser, ExchangeNotAvailable, PermissionDenied, RateLimitExceeded, RequestTimeout, RestrictedLocation } from 'ccxt';
import type { Exchange } from 'ccxt';
import { holdDials, refuseHandshakes } from './ccxt-handshake.js';
import { GatewayError, GatewayErrorCode } from './errors.js';
import type { WithRetryAfter } from './errors.js';
import { createVenueHold, DEFAULT_MAX_RETRY_AFTER_MS, heldWaitReporter, readRetryAfter, reportingHeldWaits } from './retry-after.js';
import type { HeldWait, HoldCause, VenueHold } from './retry-after.js';

export type CcxtExchangeOptions = Readonly<{
  /** A ccxt pro exchange id: `binance`, `kraken`, … */
  exchangeId: string;
  /** Replaces scheme, host and port of every REST url (`urls.api.*`), keeping their paths: a local server or a proxy. */
  restUrl?: string;
  /** Replaces every websocket url (`urls.api.ws.*`). */
  wsUrl?: string;
  apiKey?: string;
  secret?: string;
  /** Exchange options merged over ccxt's (e.g. `{ fetchMarkets: { types: ['spot'] } }` for binance). */
  options?: Readonly<Record<string, unknown>>;
  timeoutMs?: number;
  /**
   * Milliseconds per unit of request weight, in place of ccxt's figure for the venue (binance:
   * 50): a stricter limit for an account that shares its quota, or a test that must see it bind.
   */
  rateLimitMs?: number;
  /** Wall clock (ms) an HTTP-date `Retry-After` is read against: `Date.now` unless a test sets it. */
  now?: () => number;
  /** The longest `Retry-After` honoured (`marketData.maxRetryAfterMs`): `DEFAULT_MAX_RETRY_AFTER_MS` (4 days) unless set. */
  maxRetryAfterMs?: number;
}>;

type UrlTree = { [k: string]: string | UrlTree | unknown };

function rewriteRest(tree: UrlTree, origin: string): void {
  for (const [k, v] of Object.entries(tree)) {
    if (k === 'ws') continue;
    if (typeof v === 'string' && /^https?:\/\//.test(v)) {
      const u = new URL(v);
      tree[k] = `${origin.replace(/\/$/, '')}${u.pathname}${u.search}`.replace(/\/$/, '');
    } else if (typeof v === 'object' && v !== null) rewriteRest(v as UrlTree, origin);
  }
}

function rewriteWs(tree: UrlTree, url: string): void {
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') tree[k] = url;
    else if (typeof v === 'object' && v !== null) rewriteWs(v as UrlTree, url);
  }
}

type RestResponseHook = (status: number, statusText: string, url: string, method: string, ...rest: unknown[]) => string;

const isJson = (body: string): boolean => {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
};

/**
 * A successful REST answer whose body is not JSON (a proxy's or CDN's error page sent with a 200,
 * a body cut short) becomes ccxt's `BadResponse`, which the feeds retry. ccxt itself parses such a
 * body to nothing and its parsers make an empty page of it (binance's klines: `[]`), which a
 * backfill takes for the end of the venue's history: the gap it was filling stayed a hole,
 * reported as backfilled. Every venue's REST API answers JSON.
 */
function refuseNonJsonAnswers(ex: Exchange): void {
  const target = ex as unknown as { onRestResponse: RestResponseHook };
  const original = target.onRestResponse.bind(ex);
  target.onRestResponse = (status, statusText, url, method, ...rest) => {
    const body = original(status, statusText, url, method, ...rest);
    if (status >= 200 && status < 300 && status !== 204 && !isJson(body)) {
      const shown = body === '' ? 'an empty body' : JSON.stringify(body.length > 80 ? `${body.slice(0, 80)}…` : body);
      throw new BadResponse(`${ex.id} ${method} ${url.split('?')[0] ?? url}: HTTP ${status} with a body that is not JSON (${shown})`);
    }
    return body;
  };
}

/**
 * A 429 (rate limited), 418 (IP banned, Binance) or 503 (unavailable, RFC 9110) answer with `Retry-After` holds every REST
 * request of the exchange until then, and the error thrown carries the wait (`retryAfterMs`) so
 * the feed that got it backs off at least that long. ccxt reads the header into
 * `last_response_headers` only, which a concurrent answer overwrites before the error reaches
 * anyone; its `onRestResponse` hook sees the headers of this very answer. ccxt's own class for
 * each status is kept (`RateLimitExceeded`, `DDoSProtection`, `ExchangeNotAvailable`), with the venue's body in the message.
 * A 429 or 418 also holds every websocket dial (`dials`, see `ccxt-handshake.ts` holdDials): a
 * Binance IP ban covers its websocket host too. A 503 does not (the REST host down says nothing of it).
 */
function honourRetryAfter(ex: Exchange, hold: VenueHold, dials: VenueHold, now: () => number, maxMs: number): void {
  const target = ex as unknown as { onRestResponse: RestResponseHook; fetch: (...args: unknown[]) => Promise<unknown> };
  const original = target.onRestResponse.bind(ex);
  target.onRestResponse = (status, statusText, url, method, ...rest) => {
    const body = original(status, statusText, url, method, ...rest);
    if (status !== 429 && status !== 418 && status !== 503) return body;
    const headers = rest[0];
    const raw = typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>)['Retry-After'] : undefined;
    const wait = readRetryAfter(typeof raw === 'string' ? raw : undefined, now(), maxMs);
    if (wait === undefined) return body; // no wait given: ccxt's error, the feed's backoff
    const retryAfterMs = wait.ms;
    const what = status === 418 ? 'banned' : status === 503 ? 'unavailable' : 'rate limited';
    const message = `${ex.id} ${method} ${url.split('?')[0] ?? url}: HTTP ${status}, ${what} for ${wait.shown}: ${body.slice(0, 200)}`;
    // The other feeds' requests waiting in the hold say it (`held`) with this message.
    const cause = { code: status === 503 ? GatewayErrorCode.UNAVAILABLE : GatewayErrorCode.RATE_LIMITED, reason: message };
    hold.holdFor(retryAfterMs, cause);
    if (status !== 503) dials.holdFor(retryAfterMs, cause);
    const e = status === 418 ? new DDoSProtection(message) : status === 503 ? new ExchangeNotAvailable(message) : new RateLimitExceeded(message);
    throw Object.assign(e, { retryAfterMs } satisfies WithRetryAfter);
  };
  const fetch = target.fetch.bind(ex);
  target.fetch = async (...args) => {
    // No feed's signal here: ccxt's fetch does not say whose request it is. A feed never stops
    // without its exchange closing: createCcxtMarketData's run closes it when its signal aborts
    // (every feed of the source stops with that signal), and close releases the hold below, so a
    // request waiting in an hour-long hold ends at once with ExchangeClosedByUser (pinned by
    // ccxt-retry-after 'stops at once in an hour-long 418 ban'). Whoever stops a feed without
    // closing its exchange must thread that feed's signal into this wait first.
    await hold.wait();
    return fetch(...args);
  };
  const close = ex.close.bind(ex);
  ex.close = async (...args: Parameters<Exchange['close']>) => {
    hold.release();
    return close(...args);
  };
}

/**
 * A 5xx answer is the venue's (or its proxy's) fault, whatever its body says: `ExchangeNotAvailable`
 * (a 504: `RequestTimeout`), retried. ccxt ran the body through the venue's error table first, and
 * a code it does not know became a plain `ExchangeError`: Binance's 503 `{"code":-1008,"msg":"Server
 * is currently overloaded with other requests…"}` stopped the feed for good (`failed`, EXCHANGE), as
 * did any body code of a refusal (`-2015`, `-1121`) a failing backend sent with its 5xx.
 */
function retryServerErrors(ex: Exchange): void {
  const target = ex as unknown as { onRestResponse: RestResponseHook };
  const original = target.onRestResponse.bind(ex);
  target.onRestResponse = (status, statusText, url, method, ...rest) => {
    const body = original(status, statusText, url, method, ...rest);
    if (status < 500 || status > 599) return body;
    const message = `${ex.id} ${method} ${url.split('?')[0] ?? url}: HTTP ${status} ${statusText}: ${body.slice(0, 200)}`;
    throw status === 504 ? new RequestTimeout(message) : new ExchangeNotAvailable(message);
  };
}

/**
 * A 451 (Binance: "Service unavailable from a restricted location") is the venue refusing this
 * machine's region: ccxt takes it for `ExchangeNotAvailable` and the feeds retried it for ever,
 * `retrying` without end. It is `RestrictedLocation`, a refusal: the feed stops (`failed`) with
 * the venue's words.
 */
function refuseRestrictedLocation(ex: Exchange): void {
  const target = ex as unknown as { onRestResponse: RestResponseHook };
  const original = target.onRestResponse.bind(ex);
  target.onRestResponse = (status, statusText, url, method, ...rest) => {
    const body = original(status, statusText, url, method, ...rest);
    if (status === 451) throw new RestrictedLocation(`${ex.id} ${method} ${url.split('?')[0] ?? url}: HTTP 451, the venue refuses requests from this location: ${body.slice(0, 200)}`);
    return body;
  };
}

/** 4xx statuses ccxt's table takes for `ExchangeNotAvailable` (retried for ever) that say the request itself is refused. */
const REFUSED_REQUEST_STATUSES: ReadonlySet<number> = new Set([400, 404, 405, 409, 410]);

/**
 * A 400, 404, 405, 409 or 410 that the venue's own error handling did not name (no error code in the
 * body: a proxy's or CDN's page, a wrong `marketData.urls.rest` path) is the request's fault, not
 * the venue's: `BadRequest`, and the feed stops (`failed`, EXCHANGE) with the venue's words. ccxt's
 * status table took it for `ExchangeNotAvailable` and the feed retried it for ever. A body the
 * venue's handler knows (Binance's `-1121` invalid symbol) keeps its class: the handler runs first.
 *
 * 409 (Conflict) is a refusal of that request, not a passing fault: the request conflicts with the
 * venue's state (Binance answers it to a cancel-replace half done; the venues whose ccxt error table
 * names a 409 take it for `BadSymbol`, `InvalidAddress` or a plain `ExchangeError`), and the same
 * request asked again gets the same answer, as with a 451.
 */
function refuseBadRequests(ex: Exchange): void {
  const target = ex as unknown as { handleHttpStatusCode: (code: number, reason: string, url: string, method: string, body: string) => void };
  const original = target.handleHttpStatusCode.bind(ex);
  target.handleHttpStatusCode = (code, reason, url, method, body) => {
    if (REFUSED_REQUEST_STATUSES.has(code)) throw new BadRequest(`${ex.id} ${method} ${url.split('?')[0] ?? url}: HTTP ${code} ${reason}: ${String(body).slice(0, 200)}`);
    original(code, reason, url, method, body);
  };
}

/**
 * A 403 (Forbidden) that the venue's own error handling did not name (an API key without the
 * permission, an IP or region the venue's CDN blocks: CloudFront's "configured to block access
 * from your country") is a refusal: `PermissionDenied` (an `AuthenticationError`), and the feed
 * stops (`failed`, AUTHENTICATION) with the venue's words. ccxt's default status table takes a 403
 * for `ExchangeNotAvailable`, and the feed retried it for ever, `retrying` without end. A venue
 * whose ccxt table gives 403 a meaning of its own (bybit's "you request too many times":
 * `RateLimitExceeded`) keeps it.
 */
function refuseForbidden(ex: Exchange): void {
  const target = ex as unknown as { handleHttpStatusCode: (code: number, reason: string, url: string, method: string, body: string) => void };
  const original = target.handleHttpStatusCode.bind(ex);
  target.handleHttpStatusCode = (code, reason, url, method, body) => {
    if (code === 403 && (ex.httpExceptions as Record<string, unknown>)['403'] === ExchangeNotAvailable) {
      throw new PermissionDenied(`${ex.id} ${method} ${url.split('?')[0] ?? url}: HTTP 403 ${reason}, the venue refuses this request (API key permissions, a blocked IP or region): ${String(body).slice(0, 200)}`);
    }
    original(code, reason, url, method, body);
  };
}

/**
 * ccxt loads a venue's markets once for all its feeds: the first `loadMarkets` call starts the
 * requests (`fetchMarkets`) and every other call, from any feed, waits on the same promise
 * (`marketsLoading`). Two faults of that sharing are undone here:
 *
 * - A request of the loading that waits in the venue's hold ({@link createVenueHold}: a 418/429's
 *   `Retry-After`) was told to the feed that started it only (the wait sits in that feed's async
 *   context): the venue's other feeds, waiting on the same markets, said nothing, as if starting.
 *   Now every feed waiting on the loading is told (`held`, with the hold's reason and time left),
 *   a feed that comes to wait on it during the hold as soon as it does, and again when the hold is
 *   lengthened.
 * - A loading that failed stayed ccxt's `marketsLoading`: every later call, from every feed, got its
 *   error again without asking the venue. A 503 or a dropped connection on `exchangeInfo` at start
 *   left each feed `retrying` for ever with that error while the venue was never asked again.
 *   Now a failed loading is forgotten, and the next call asks the venue.
 */
function shareLoadMarkets(ex: Exchange, hold: VenueHold, now: () => number): void {
  type Loading = { key: Promise<unknown> | undefined; listeners: Set<(w: HeldWait) => void>; settled: boolean; held?: Readonly<{ until: number } & HoldCause> };
  const target = ex as unknown as { marketsLoading: Promise<unknown> | undefined };
  const original = ex.loadMarkets.bind(ex);
  let current: Loading | undefined;
  ex.loadMarkets = (...args: Parameters<Exchange['loadMarkets']>) => {
    const onHeld = heldWaitReporter();
    const candidate: Loading = { key: undefined, listeners: new Set(onHeld === undefined ? [] : [onHeld]), settled: false };
    const tellAll = (w: HeldWait): void => {
      candidate.held = { until: now() + w.ms, code: w.code, reason: w.reason };
      for (const l of [...candidate.listeners]) l(w);
    };
    // A loading this call starts runs in a context that tells every feed waiting on it.
    const p = reportingHeldWaits(tellAll, () => original(...args));
    const key = target.marketsLoading;
    if (current === undefined || key !== current.key) {
      const loading = Object.assign(candidate, { key });
      current = loading;
      key?.then(
        () => void (loading.settled = true),
        () => {
          loading.settled = true;
          if (target.marketsLoading === key) target.marketsLoading = undefined;
        },
      );
    } else if (onHeld !== undefined) {
      // Joins the loading in flight: told of its hold from now on, and at once if it waits in one.
      current.listeners.add(onHeld);
      const left = current.held === undefined ? 0 : current.held.until - now();
      if (!current.settled && current.held !== undefined && left > 0 && hold.remainingMs() > 0) onHeld({ ms: Math.min(left, hold.remainingMs()), code: current.held.code, reason: current.held.reason });
    }
    const loading = current;
    if (onHeld !== undefined) {
      const leave = (): void => void loading.listeners.delete(onHeld);
      p.then(leave, leave);
    }
    return p;
  };
}

type ExchangeClass = new (cfg: Record<string, unknown>) => Exchange;

/**
 * ccxt's pro class of a venue (websocket + REST), or its REST class where ccxt has no websocket
 * for it (bitflyer, coinspot, …: the feeds then poll). Only ids in `ccxt.exchanges`: the modules
 * also export things that are not exchanges (`ccxt.pro.exchanges`, the list itself).
 */
function exchangeClass(id: string): ExchangeClass | undefined {
  if (!ccxt.exchanges.includes(id)) return undefined;
  const byId = (m: unknown): ExchangeClass | undefined => {
    const c = (m as Record<string, unknown>)[id];
    return typeof c === 'function' ? (c as ExchangeClass) : undefined;
  };
  return byId(ccxt.pro) ?? byId(ccxt);
}

/**
 * A ccxt pro exchange (websocket + REST; REST only for a venue ccxt has no websocket for) with `enableRateLimit` on, so ccxt spaces REST calls by
 * the venue's weights (a leaky bucket shared by every feed of the exchange, polls, backfills and
 * retries alike); markets load on first use. ccxt stays behind this folder:
 * nothing outside `gateways/market-data/` sees its types.
 */
export async function createCcxtExchange(o: CcxtExchangeOptions): Promise<Exchange> {
  const Ctor = exchangeClass(o.exchangeId);
  if (Ctor === undefined) throw new GatewayError(GatewayErrorCode.EXCHANGE, `ccxt has no exchange ${JSON.stringify(o.exchangeId)}`);
  const ex = new Ctor({
    enableRateLimit: true,
    ...(o.rateLimitMs !== undefined ? { rateLimit: o.rateLimitMs } : {}),
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    ...(o.apiKey !== undefined && o.apiKey !== '' ? { apiKey: o.apiKey, secret: o.secret ?? '' } : {}),
    options: { ...(o.options ?? {}) },
  });
  const api = ex.urls['api'] as UrlTree | undefined;
  if (api !== undefined && typeof api === 'object') {
    if (o.restUrl !== undefined) rewriteRest(api, o.restUrl);
    const ws = api['ws'];
    if (o.wsUrl !== undefined && typeof ws === 'object' && ws !== null) rewriteWs(ws as UrlTree, o.wsUrl);
  }
  const now = o.now ?? Date.now;
  const hold = createVenueHold(() => new ExchangeClosedByUser(`${ex.id} closed while holding off until the venue's Retry-After`), now);
  /** No websocket dial before a 418/429's `Retry-After` (REST or handshake): {@link holdDials}. */
  const dialHold = createVenueHold(() => new ExchangeClosedByUser(`${ex.id} closed while holding off dials until the venue's Retry-After`), now);
  const maxRetryAfterMs = o.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  honourRetryAfter(ex, hold, dialHold, now, maxRetryAfterMs);
  retryServerErrors(ex); // after the Retry-After hook: a 503 that gives its wait keeps it
  refuseNonJsonAnswers(ex);
  refuseRestrictedLocation(ex);
  refuseBadRequests(ex);
  refuseForbidden(ex);
  refuseHandshakes(ex, hold, dialHold, now, maxRetryAfterMs); // ccxt-handshake.ts: uses the REST hooks above; a handshake's 418/429 holds REST and dials too
  holdDials(ex, dialHold);
  shareLoadMarkets(ex, hold, now);
  // ccxt needs an http agent of its own for plain ws:// urls (local servers, tests).
  if (o.wsUrl?.startsWith('ws://') === true) await ex.loadHttpProxyAgent();
  return ex;
}
