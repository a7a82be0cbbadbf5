import { STATUS_CODES } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import ccxt, { AuthenticationError, BadRequest, BadResponse, BaseError, DDoSProtection, ExchangeClosedByUser, ExchangeError, ExchangeNotAvailable, NetworkError, PermissionDenied, RateLimitExceeded, RequestTimeout, RestrictedLocation } from 'ccxt';
import type { Exchange } from 'ccxt';
import { GatewayError, GatewayErrorCode } from './errors.js';
import type { WithRetryAfter } from './errors.js';
import { createVenueHold, readRetryAfter } from './retry-after.js';
import type { VenueHold } from './retry-after.js';

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
 */
function honourRetryAfter(ex: Exchange, hold: VenueHold, now: () => number): void {
  const target = ex as unknown as { onRestResponse: RestResponseHook; fetch: (...args: unknown[]) => Promise<unknown> };
  const original = target.onRestResponse.bind(ex);
  target.onRestResponse = (status, statusText, url, method, ...rest) => {
    const body = original(status, statusText, url, method, ...rest);
    if (status !== 429 && status !== 418 && status !== 503) return body;
    const headers = rest[0];
    const raw = typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>)['Retry-After'] : undefined;
    const wait = readRetryAfter(typeof raw === 'string' ? raw : undefined, now()); // at most MAX_RETRY_AFTER_MS
    if (wait === undefined) return body; // no wait given: ccxt's error, the feed's backoff
    const retryAfterMs = wait.ms;
    hold.holdFor(retryAfterMs);
    const what = status === 418 ? 'banned' : status === 503 ? 'unavailable' : 'rate limited';
    const message = `${ex.id} ${method} ${url.split('?')[0] ?? url}: HTTP ${status}, ${what} for ${wait.shown}: ${body.slice(0, 200)}`;
    const e = status === 418 ? new DDoSProtection(message) : status === 503 ? new ExchangeNotAvailable(message) : new RateLimitExceeded(message);
    throw Object.assign(e, { retryAfterMs } satisfies WithRetryAfter);
  };
  const fetch = target.fetch.bind(ex);
  target.fetch = async (...args) => {
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

/** The part of ccxt's websocket client (`exchange.client(url)`) that dials and sees a failed connection. */
type WsClientHooks = { url: string; onError: (error: unknown) => void; createConnection: () => void; connection?: unknown };

/** The part of a `ws` socket that hands over a refused upgrade's answer (node only: ccxt's `WsClient` dials with `ws` there). */
type UpgradingSocket = {
  on(event: 'unexpected-response', listener: (req: ClientRequest, res: IncomingMessage) => void): unknown;
  terminate(): void;
};

const isUpgradingSocket = (v: unknown): v is UpgradingSocket =>
  typeof v === 'object' && v !== null && typeof (v as Partial<UpgradingSocket>).on === 'function' && typeof (v as Partial<UpgradingSocket>).terminate === 'function';

/** What the `ws` package says when the venue answers the websocket upgrade with an HTTP status instead of 101. */
const UNEXPECTED_RESPONSE = /^Unexpected server response: (\d{3})$/;

/** The venue's answer to an upgrade it refused: its status and headers (`Retry-After`, `Location`). */
type HandshakeAnswer = Readonly<{ status: number; headers: IncomingHttpHeaders }>;

type RestStatusHooks = {
  onRestResponse: RestResponseHook;
  handleHttpStatusCode: (code: number, reason: string, url: string, method: string, body: string) => void;
};

/**
 * The error the exchange's REST rules give an answer of `status` with an empty body (the hooks
 * above over the venue's ccxt `httpExceptions` table, the same calls a REST answer goes through),
 * or undefined where they let it through. Anything but a ccxt error (a venue's hook tripping on
 * the empty answer) is undefined too. No `Retry-After` is passed: the REST hook would hold every
 * REST request for it; the handshake's wait is read by {@link refuseHandshakes}.
 */
function restStatusError(ex: Exchange, status: number, url: string): BaseError | undefined {
  const rest = ex as unknown as RestStatusHooks;
  const reason = STATUS_CODES[status] ?? '';
  try {
    rest.onRestResponse(status, reason, url, 'websocket', {}, '', {}, undefined);
    rest.handleHttpStatusCode(status, reason, url, 'websocket', '');
  } catch (e) {
    return e instanceof BaseError ? e : undefined;
  }
  return undefined;
}

/** Handshake statuses whose `Retry-After` holds every REST request of the venue, as a REST answer's does ({@link honourRetryAfter}). */
const VENUE_HOLD_STATUSES: ReadonlySet<number> = new Set([418, 429]);

/** Whether the feeds retry an error of this class (see `errors.ts` fromCcxtError): only then is a `Retry-After` worth carrying. */
const isRetried = (e: BaseError): boolean => e instanceof NetworkError;

/** What a refused handshake's class means, for its message. */
function handshakeMeaning(e: BaseError, status: number, headers: IncomingHttpHeaders | undefined): string {
  if (status >= 200 && status <= 299) {
    const type = headers?.['content-type'];
    const what = type === undefined || type === '' ? 'without a content-type' : `(${type})`;
    return `the server answered a page ${what} instead of a websocket, not retried (a proxy or captive portal in the way, or a \`marketData.urls.ws\` that is not the venue's websocket)`;
  }
  if (status >= 300 && status <= 399) {
    const to = headers?.location;
    return `the venue redirects the connection${to === undefined || to === '' ? '' : ` to ${to}`}, not followed (a moved \`marketData.urls.ws\`)`;
  }
  if (e instanceof RestrictedLocation) return 'the venue refuses connections from this location';
  if (e instanceof AuthenticationError) return 'the venue refuses this connection (API key permissions, a blocked IP or region)';
  if (e instanceof RateLimitExceeded || e instanceof DDoSProtection) return 'rate limited, retried';
  if (e instanceof RequestTimeout) return 'timed out, retried';
  if (e instanceof NetworkError) return 'the venue is unavailable, retried';
  return 'the venue refuses this request (a wrong `marketData.urls.ws` path, a bad request)';
}

/**
 * A websocket handshake the venue answers with a 2xx (not 101), 3xx, 4xx or 5xx status gets the class a REST answer
 * of that status gets ({@link restStatusError}: the venue's ccxt table under this file's rules),
 * with a message naming the url and the status. ccxt makes every refused upgrade a plain
 * `NetworkError` ("Unexpected server response: 451"), so a revoked key, a blocked region or a
 * wrong `urls.ws` path showed as a feed reconnecting for ever, `retrying` without end. Now:
 *
 * - 401, 403 (unless the venue's table says otherwise: bybit's 403 is its rate limit, retried) →
 *   `PermissionDenied`/`AuthenticationError`, the feed stops (`failed`, AUTHENTICATION);
 * - 451 → `RestrictedLocation`; 400, 404, 405, 409, 410 and any 4xx the rules leave unnamed (or
 *   give a plain `ExchangeError`, which a watch would take for a pushed frame) → `BadRequest`: the
 *   feed stops (`failed`, EXCHANGE);
 * - a 3xx (a redirect, which `ws` does not follow unless told to and ccxt does not tell it: the
 *   next dial gets the same answer) → `BadRequest`, the feed stops (`failed`, EXCHANGE), naming its
 *   `Location`; it was retried for ever as a dropped socket;
 * - 429, 418, 408 and every 5xx keep their retryable class (`RateLimitExceeded`, `DDoSProtection`,
 *   `RequestTimeout`, `ExchangeNotAvailable`) and are retried with the backoff. Their `Retry-After`
 *   (seconds or an HTTP date, read against `now`) rides on the error (`retryAfterMs`), and the feed
 *   waits at least that long before dialling again, as after a REST 429: a venue's "come back in
 *   60 s" answered by a dial a second later gets a longer ban (Binance's 418). A 418 or 429 with
 *   `Retry-After` also holds every REST request of the venue (`hold`, the one a REST 418/429 sets):
 *   an IP ban or rate limit is the venue's, not one socket's, and the other feeds polling or
 *   backfilling on REST meanwhile lengthened it. A 5xx holds only the dialling feed (the websocket
 *   host being down says nothing of the REST host's). The wait is at most `MAX_RETRY_AFTER_MS`.
 * - a 2xx other than 101 (a page served where the websocket should be: a proxy stripping the
 *   upgrade, a captive portal's login page, a `urls.ws` pointing at a web site) → `BadRequest`, the
 *   feed stops (`failed`, EXCHANGE) naming the status and the content-type: the next dial gets the
 *   same page, and it was retried for ever as a dropped socket (`NetworkError`), saying only
 *   "Unexpected server response: 200".
 *
 * The answer's headers come from the `ws` socket's `unexpected-response` event (its error carries
 * only the status text): a listener on it takes over the abort, so it ends the dial itself
 * (`terminate`, the same abort `ws` does without one) and the error that follows is classified
 * from the answer kept for that client. Other statuses (a 1xx) stay the `NetworkError` ccxt made
 * of them.
 */
function refuseHandshakes(ex: Exchange, hold: VenueHold, now: () => number): void {
  const target = ex as unknown as { client: (url: string) => WsClientHooks };
  const original = target.client.bind(ex);
  const hooked = new WeakSet<WsClientHooks>();
  target.client = (url) => {
    const client = original(url);
    if (hooked.has(client)) return client;
    hooked.add(client);
    /** The answer to this client's last dial, when the venue refused the upgrade. */
    let answer: HandshakeAnswer | undefined;
    // ccxt calls `createConnection` when it dials (`connect`), after this: each dial gets the listener.
    const createConnection = client.createConnection.bind(client);
    client.createConnection = () => {
      answer = undefined;
      createConnection();
      const socket = client.connection;
      if (!isUpgradingSocket(socket)) return;
      socket.on('unexpected-response', (_req, res) => {
        answer = { status: res.statusCode ?? 0, headers: res.headers };
        res.on('error', () => undefined); // the abort below ends the answer's body: nothing to report
        socket.terminate();
      });
    };
    // ccxt binds `onError` to the socket when it dials, after this: each dial gets the hook.
    const onError = client.onError.bind(client);
    client.onError = (error) => {
      const seen = answer;
      answer = undefined;
      const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
      const matched = typeof message === 'string' ? UNEXPECTED_RESPONSE.exec(message)?.[1] : undefined;
      const status = seen?.status ?? (matched === undefined ? NaN : Number(matched));
      if (!(status >= 200 && status <= 599)) return onError(error);
      const shown = client.url.split('?')[0] ?? client.url;
      const named = status >= 400 ? restStatusError(ex, status, shown) : undefined;
      const refusal = named === undefined || Object.getPrototypeOf(named) === ExchangeError.prototype ? new BadRequest('') : named;
      const Refusal = refusal.constructor as new (m: string) => BaseError;
      const raw = seen?.headers['retry-after'];
      const wait = isRetried(refusal) ? readRetryAfter(raw, now()) : undefined; // at most MAX_RETRY_AFTER_MS
      const retryAfterMs = wait?.ms;
      if (retryAfterMs !== undefined && VENUE_HOLD_STATUSES.has(status)) hold.holdFor(retryAfterMs);
      const meaning = handshakeMeaning(refusal, status, seen?.headers).replace(/, retried$/, `${wait === undefined ? '' : ` for ${wait.shown}`}, retried`);
      const e = new Refusal(`${ex.id} websocket ${shown}: HTTP ${status} on the handshake, ${meaning}`);
      onError(retryAfterMs === undefined ? e : Object.assign(e, { retryAfterMs } satisfies WithRetryAfter));
    };
    return client;
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
  honourRetryAfter(ex, hold, now);
  retryServerErrors(ex); // after the Retry-After hook: a 503 that gives its wait keeps it
  refuseNonJsonAnswers(ex);
  refuseRestrictedLocation(ex);
  refuseBadRequests(ex);
  refuseForbidden(ex);
  refuseHandshakes(ex, hold, now); // uses the REST hooks above; a handshake's 418/429 holds REST too
  // ccxt needs an http agent of its own for plain ws:// urls (local servers, tests).
  if (o.wsUrl?.startsWith('ws://') === true) await ex.loadHttpProxyAgent();
  return ex;
}
