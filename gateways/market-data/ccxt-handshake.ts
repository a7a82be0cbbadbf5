import { STATUS_CODES } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { AuthenticationError, BadRequest, BaseError, DDoSProtection, ExchangeError, NetworkError, RateLimitExceeded, RequestTimeout, RestrictedLocation } from 'ccxt';
import type { Exchange } from 'ccxt';
import { GatewayErrorCode } from './errors.js';
import type { WithRetryAfter } from './errors.js';
import { readRetryAfter } from './retry-after.js';
import type { VenueHold } from './retry-after.js';

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

/** The websocket URL as messages show it: without its query (a listen key, a token). */
const shownUrl = (client: WsClientHooks): string => client.url.split('?')[0] ?? client.url;

/**
 * Runs `hook` once on each websocket client ccxt makes (`exchange.client(url)` hands back the same
 * client for a URL until it is dropped): the place `refuseHandshakes` and `holdDials` wrap a
 * client's dial and error hooks. Hooks stack in the order they are installed.
 */
function onEachWsClient(ex: Exchange, hook: (client: WsClientHooks) => void): void {
  const target = ex as unknown as { client: (url: string) => WsClientHooks };
  const original = target.client.bind(ex);
  const hooked = new WeakSet<WsClientHooks>();
  target.client = (url) => {
    const client = original(url);
    if (hooked.has(client)) return client;
    hooked.add(client);
    hook(client);
    return client;
  };
}

type RestStatusHooks = {
  onRestResponse: (status: number, statusText: string, url: string, method: string, ...rest: unknown[]) => string;
  handleHttpStatusCode: (code: number, reason: string, url: string, method: string, body: string) => void;
};

/**
 * The error the exchange's REST rules give an answer of `status` with an empty body (the REST hooks
 * of `ccxt-exchange.ts` over the venue's ccxt `httpExceptions` table, the same calls a REST answer goes through),
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

/**
 * Handshake statuses whose `Retry-After` holds every REST request and every websocket dial of the
 * venue, as a REST answer's does (`honourRetryAfter` in `ccxt-exchange.ts`).
 */
const VENUE_HOLD_STATUSES: ReadonlySet<number> = new Set([418, 429]);

/** Whether the feeds retry an error of this class (see `errors.ts` fromCcxtError): only then is a `Retry-After` worth carrying. */
const isRetried = (e: BaseError): boolean => e instanceof NetworkError;

/** What a refused handshake's class means, for its message. */
function handshakeMeaning(e: BaseError, status: number, headers: IncomingHttpHeaders | undefined): string {
  if (status >= 200 && status <= 299) {
    const type = headers?.['content-type'];
    // No headers: the answer was not seen (only ws's 'Unexpected server response: 200'), its type is unknown.
    const what = headers === undefined ? '(content-type unknown)' : type === undefined || type === '' ? 'without a content-type' : `(${type})`;
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
 * of that status gets ({@link restStatusError}: the venue's ccxt table under the REST rules of `ccxt-exchange.ts`),
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
 *   `Retry-After` also holds every REST request of the venue (`hold`, the one a REST 418/429 sets)
 *   and every websocket dial (`dials`, {@link holdDials}):
 *   an IP ban or rate limit is the venue's, not one socket's, and the other feeds polling or
 *   backfilling on REST meanwhile lengthened it. A 5xx holds only the dialling feed (the websocket
 *   host being down says nothing of the REST host's). The wait is at most `maxRetryAfterMs`
 *   (`marketData.maxRetryAfterMs`, 4 days by default: Binance's bans last up to 3).
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
export function refuseHandshakes(ex: Exchange, hold: VenueHold, dials: VenueHold, now: () => number, maxRetryAfterMs: number): void {
  onEachWsClient(ex, (client) => {
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
      const shown = shownUrl(client);
      const named = status >= 400 ? restStatusError(ex, status, shown) : undefined;
      const refusal = named === undefined || Object.getPrototypeOf(named) === ExchangeError.prototype ? new BadRequest('') : named;
      const Refusal = refusal.constructor as new (m: string) => BaseError;
      const raw = seen?.headers['retry-after'];
      const wait = isRetried(refusal) ? readRetryAfter(raw, now(), maxRetryAfterMs) : undefined;
      const retryAfterMs = wait?.ms;
      const meaning = handshakeMeaning(refusal, status, seen?.headers).replace(/, retried$/, `${wait === undefined ? '' : ` for ${wait.shown}`}, retried`);
      const e = new Refusal(`${ex.id} websocket ${shown}: HTTP ${status} on the handshake, ${meaning}`);
      if (retryAfterMs !== undefined && VENUE_HOLD_STATUSES.has(status)) {
        const cause = { code: GatewayErrorCode.RATE_LIMITED, reason: e.message };
        hold.holdFor(retryAfterMs, cause);
        dials.holdFor(retryAfterMs, cause);
      }
      onError(retryAfterMs === undefined ? e : Object.assign(e, { retryAfterMs } satisfies WithRetryAfter));
    };
  });
}

/**
 * No websocket dial goes out while the venue has asked for no request (`dials`: a 418 or 429 with
 * `Retry-After`, on REST or on a handshake): the dial fails at once, as a refused one would, with
 * `RateLimitExceeded` carrying the time left of the hold (`retryAfterMs`), which the feed waits
 * before asking again (`retrying`, RATE_LIMITED, `<venue> websocket <url>: not dialled, …`). A feed
 * whose socket dropped during a 418 IP ban redialled at once (after ccxt's own second or so):
 * Binance bans the IP, its websocket host too, and a dial during the ban lengthens it. Failing the
 * dial (not waiting in it) keeps ccxt's connect and timeout futures as after any failed dial: the
 * client is dropped, and the feed's next watch dials a fresh one.
 */
export function holdDials(ex: Exchange, dials: VenueHold): void {
  onEachWsClient(ex, (client) => {
    const createConnection = client.createConnection.bind(client);
    client.createConnection = () => {
      const left = dials.remainingMs();
      if (left === 0) return createConnection();
      const shown = shownUrl(client);
      const e = new RateLimitExceeded(`${ex.id} websocket ${shown}: not dialled, the venue asked for no request for another ${left} ms (its 418 or 429 Retry-After), retried`);
      client.onError(Object.assign(e, { retryAfterMs: left } satisfies WithRetryAfter));
    };
  });
}
