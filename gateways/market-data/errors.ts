import { AuthenticationError, BadResponse, BadSymbol, DDoSProtection, ExchangeError, ExchangeNotAvailable, NetworkError, RateLimitExceeded } from 'ccxt';

/**
 * Market-data gateway errors carry whether a retry can help, so feed loops decide without
 * parsing messages: a lost connection, a timeout, a 429 or a 5xx is worth retrying with backoff;
 * an unknown symbol, bad credentials or any other refusal by the venue is surfaced and the feed
 * stops (retrying it forever would only hammer the venue).
 */
export const GatewayErrorCode = {
  NETWORK: 'NETWORK',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  BAD_SYMBOL: 'BAD_SYMBOL',
  AUTHENTICATION: 'AUTHENTICATION',
  EXCHANGE: 'EXCHANGE',
  BAD_RESPONSE: 'BAD_RESPONSE',
  /** An error the venue pushed over its websocket that ccxt could not name (see {@link fromCcxtWatchError}). */
  STREAM: 'STREAM',
  /**
   * A programming error of ours (or of a library we call): a `TypeError`, `ReferenceError` or
   * `RangeError` thrown by code, e.g. our parsing of an answer the venue changed. Not retried:
   * logged as an error with its stack, the feed `failed` and restarted by the feed supervisor
   * with `marketData.restart`'s backoff (see {@link programmingError}).
   */
  INTERNAL: 'INTERNAL',
  /**
   * A feed that published nothing for longer than its watchdog allows (`marketData.watchdog`,
   * `feed-loop.ts`): its run ends `failed` and the feed supervisor restarts it, subscribing anew.
   */
  STALE: 'STALE',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

/**
 * `BAD_RESPONSE` (an answer that is not the API's: a body cut short, a proxy's error page with a
 * 200) is retried, as ccxt's `BadResponse` is: the next request usually gets a whole answer.
 */
const RETRYABLE: ReadonlySet<GatewayErrorCode> = new Set([
  GatewayErrorCode.NETWORK,
  GatewayErrorCode.RATE_LIMITED,
  GatewayErrorCode.UNAVAILABLE,
  GatewayErrorCode.BAD_RESPONSE,
  GatewayErrorCode.STREAM,
]);

/**
 * Failures in a row (no successful step between) after which a retryable code is taken for
 * permanent. A `STREAM` error the venue repeats on every resubscription is a refusal ccxt could
 * not name (a stream name the venue does not know), not a passing fault: five tries, then `failed`.
 */
const RETRY_LIMIT: Readonly<Partial<Record<GatewayErrorCode, number>>> = { [GatewayErrorCode.STREAM]: 5 };

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly retryable: boolean;
  /** The least wait before the venue may be asked again (its `Retry-After`), when it said. */
  readonly retryAfterMs: number | undefined;
  /** Failures of this code in a row after which the feed stops; undefined: retried for ever. */
  readonly maxAttempts: number | undefined;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryable = RETRYABLE.has(code);
    this.retryAfterMs = options?.retryAfterMs;
    this.maxAttempts = RETRY_LIMIT[code];
  }
}

export const isGatewayError = (e: unknown): e is GatewayError => e instanceof GatewayError;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Node's `fetch` (undici) reports a failed connection as `TypeError('fetch failed')` with the
 * socket's error as its cause: a network failure, not a bug.
 */
const isFetchFailure = (e: TypeError): boolean => {
  const cause: unknown = e.cause;
  return e.message === 'fetch failed' || (cause instanceof Error && typeof (cause as Error & { code?: unknown }).code === 'string');
};

/**
 * A throw that is a bug in code (ours, or a library's we call), as an `INTERNAL` error, or
 * undefined: a `TypeError` (reading a field of undefined, calling what is not a function; not
 * `fetch`'s network `TypeError`), a `ReferenceError` or a `RangeError`. Taken for a network
 * failure, such a throw was retried for ever at warn level with nothing but its message: a parser
 * broken by a changed answer kept the feed `retrying` silently. The message keeps the error's
 * class; its stack rides on `cause` (the feed loop logs it).
 */
export function programmingError(e: unknown): GatewayError | undefined {
  const bug = (e instanceof TypeError && !isFetchFailure(e)) || e instanceof ReferenceError || e instanceof RangeError;
  return bug ? new GatewayError(GatewayErrorCode.INTERNAL, `${e.name}: ${e.message}`, { cause: e }) : undefined;
}

/** The stack of an `INTERNAL` error's cause (the bug's), for the error log; undefined for any other. */
export function stackOf(err: GatewayError): string | undefined {
  if (err.code !== GatewayErrorCode.INTERNAL) return undefined;
  const cause: unknown = err.cause;
  return cause instanceof Error ? cause.stack : err.stack;
}

/** A ccxt error of a 429, 418 or 503 answer (or a refused websocket handshake's 408, 418, 429 or 5xx) that carried `Retry-After` (see `ccxt-exchange.ts`, `ccxt-handshake.ts`): the wait rides on it. */
export type WithRetryAfter = Readonly<{ retryAfterMs: number }>;

const retryAfterOf = (e: unknown): number | undefined => {
  const v = typeof e === 'object' && e !== null ? (e as Partial<WithRetryAfter>).retryAfterMs : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
};

/**
 * A ccxt error (or anything thrown from ccxt) as a {@link GatewayError}. ccxt's hierarchy:
 * `NetworkError` ⊃ `RequestTimeout`, `DDoSProtection`, `RateLimitExceeded`,
 * `ExchangeNotAvailable` ⊃ `OnMaintenance` → retryable; `ExchangeError` ⊃ `BadSymbol`,
 * `AuthenticationError`, `BadRequest`, `NotSupported`, … → permanent. Classified by `instanceof`,
 * never by class name: a venue's subclass or a minified bundle keeps its place in the hierarchy
 * but not its name. A programming error (`TypeError`, `ReferenceError`,
 * `RangeError`: {@link programmingError}) is `INTERNAL`, not retried. Other unknown throws are treated
 * as network failures (sockets and fetch throw plain errors) so a transient fault never ends a feed;
 * ccxt's `BadResponse` (an unparseable answer) is `BAD_RESPONSE`, retried too.
 */
export function fromCcxtError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const msg = messageOf(e);
  if (e instanceof RateLimitExceeded || e instanceof DDoSProtection) {
    const retryAfterMs = retryAfterOf(e);
    return new GatewayError(GatewayErrorCode.RATE_LIMITED, msg, retryAfterMs === undefined ? { cause: e } : { cause: e, retryAfterMs });
  }
  if (e instanceof ExchangeNotAvailable) {
    const retryAfterMs = retryAfterOf(e);
    return new GatewayError(GatewayErrorCode.UNAVAILABLE, msg, retryAfterMs === undefined ? { cause: e } : { cause: e, retryAfterMs });
  }
  if (e instanceof NetworkError) {
    const retryAfterMs = retryAfterOf(e); // a refused websocket handshake's 408 or 504 may give one
    return new GatewayError(GatewayErrorCode.NETWORK, msg, retryAfterMs === undefined ? { cause: e } : { cause: e, retryAfterMs });
  }
  if (e instanceof BadResponse) return new GatewayError(GatewayErrorCode.BAD_RESPONSE, msg, { cause: e });
  if (e instanceof BadSymbol) return new GatewayError(GatewayErrorCode.BAD_SYMBOL, msg, { cause: e });
  if (e instanceof AuthenticationError) return new GatewayError(GatewayErrorCode.AUTHENTICATION, msg, { cause: e });
  if (e instanceof ExchangeError) return new GatewayError(GatewayErrorCode.EXCHANGE, msg, { cause: e });
  return programmingError(e) ?? new GatewayError(GatewayErrorCode.NETWORK, msg, { cause: e });
}

/**
 * An HTTP status of a REST vendor (or the code of its error payload, TwelveData's) as a
 * {@link GatewayError}. Retried: 408 (the request timed out), 429 (rate limited), 418 (Binance's
 * IP ban: lifted after its `Retry-After`) and every 5xx (the vendor's fault, or its proxy's).
 * Permanent: 401/407 (credentials), 403 (the key's plan has no access), 400/404 (unknown symbol,
 * bad parameters), 451 (refused in this region) and any other 4xx (a refusal asking again will
 * not change).
 */
export function fromHttpStatus(status: number, message: string, options?: { retryAfterMs?: number }): GatewayError {
  const o = options?.retryAfterMs === undefined ? undefined : { retryAfterMs: options.retryAfterMs };
  if (status === 429 || status === 418) return new GatewayError(GatewayErrorCode.RATE_LIMITED, message, o);
  if (status === 408) return new GatewayError(GatewayErrorCode.NETWORK, message, o);
  if (status >= 500) return new GatewayError(GatewayErrorCode.UNAVAILABLE, message, o);
  if (status === 401 || status === 403 || status === 407) return new GatewayError(GatewayErrorCode.AUTHENTICATION, message);
  if (status === 400 || status === 404) return new GatewayError(GatewayErrorCode.BAD_SYMBOL, message);
  return new GatewayError(GatewayErrorCode.EXCHANGE, message);
}

/**
 * What a websocket `watch…` call threw, as a {@link GatewayError}. Over a websocket the venue
 * pushes errors that are not answers to anything the feed asked: Binance's
 * `{"error":{"code":-1008,"msg":"Server is currently overloaded…"}}`, a 5xx-type code, a notice
 * before it drops the connection. ccxt runs them through the venue's REST error table and, for a
 * code it does not know, throws a plain `ExchangeError` (or rejects with the raw frame when the
 * table throws nothing); taken as a refusal, that stopped the feed for good. So, from a websocket:
 *
 * - an error ccxt could name keeps its REST meaning: `BadSymbol`, `AuthenticationError`
 *   (`PermissionDenied`, `AccountSuspended`), `BadRequest`, `NotSupported` and every other
 *   `ExchangeError` subclass stop the feed (`failed`); `NetworkError`s are retried;
 * - a plain `ExchangeError` (exactly that class: the venue's code is unknown to ccxt) or a raw
 *   frame is `STREAM`: retried with the backoff, the feed resubscribing and backfilling as after
 *   a dropped socket, and taken for permanent after {@link RETRY_LIMIT} failures in a row.
 *
 * The class is checked by prototype, not by name (a minified bundle keeps prototypes).
 */
export function fromCcxtWatchError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  if (e instanceof ExchangeError && Object.getPrototypeOf(e) === ExchangeError.prototype) return new GatewayError(GatewayErrorCode.STREAM, e.message, { cause: e });
  if (!(e instanceof Error)) return new GatewayError(GatewayErrorCode.STREAM, `the venue pushed an error: ${stringify(e)}`, { cause: e });
  return fromCcxtError(e);
}

const stringify = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};
