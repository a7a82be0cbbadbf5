import type { Logger } from '../../state/logger.js';

/**
 * Failed authentications per client address (`POST /api/ctl`, the feed's upgrade and `GET /ws`,
 * a token-guarded `/metrics`): after `maxFailures` in a window (fixed, from the address's first
 * failure) its requests are answered 429 without their token being checked until the window
 * ends. A guesser gets `maxFailures` tries a window, and the log one line per failure up to that,
 * then one line per window saying the address is locked out (with the requests refused during its
 * last lockout), instead of one per guess.
 *
 * Keyed on the socket's address: behind a reverse proxy every client is the proxy, and one
 * guesser locks everybody out for the window (X-Forwarded-For is not trusted: any client can
 * send it). A few dozen lines rather than rate-limiter-flexible: that one keeps time with
 * Date.now and timers (no injected clock, so tests would need fake timers), answers through
 * promises (the upgrade handler is synchronous) and does not do the once-a-window log line.
 *
 * @example const limiter = createAuthFailureLimiter({ maxFailures: 20, windowMs: 60_000, now: Date.now, log });
 * const wait = limiter.lockedForMs(addr); if (wait > 0) return reply429(wait);
 * if (identity === undefined) limiter.failed(addr, 'control');
 */
export type AuthFailureLimiter = Readonly<{
  /** How long `address` is still locked out (ms; 0: its token may be checked). Counts the refused request. */
  lockedForMs(address: string): number;
  /** Counts a failed authentication from `address` at `where` (`control`, `feed`, `metrics`); the one that locks it out is logged. */
  failed(address: string, where: string): void;
}>;

export type AuthFailureLimiterOptions = Readonly<{
  maxFailures: number;
  windowMs: number;
  now: () => number;
  log: Logger;
  /** Addresses tracked at most (default 10 000): past that, ended windows are dropped, then the oldest. */
  maxAddresses?: number;
}>;

/** `refusedBefore`: 429s answered during the address's previous window's lockout, said in this window's lockout line. */
type Entry = { start: number; failures: number; refused: number; refusedBefore: number };

/** Default `gateway.authFailureLimit`. */
export const AUTH_FAILURE_DEFAULTS = { maxFailures: 20, windowMs: 60_000 } as const;

export function createAuthFailureLimiter(opts: AuthFailureLimiterOptions): AuthFailureLimiter {
  const entries = new Map<string, Entry>();
  const cap = opts.maxAddresses ?? 10_000;
  // A clock that steps back ends the window too, rather than locking an address out for longer.
  const ended = (e: Entry, t: number): boolean => t - e.start >= opts.windowMs || t < e.start;
  const makeRoom = (t: number): void => {
    if (entries.size < cap) return;
    for (const [k, e] of entries) if (ended(e, t)) entries.delete(k);
    // Still full: the address whose window began first goes (entries are kept in that order).
    const oldest = entries.keys().next();
    if (entries.size >= cap && oldest.done !== true) entries.delete(oldest.value);
  };
  return {
    lockedForMs: (address) => {
      const e = entries.get(address);
      const t = opts.now();
      if (e === undefined || ended(e, t) || e.failures < opts.maxFailures) return 0;
      e.refused++;
      return e.start + opts.windowMs - t;
    },
    failed: (address, where) => {
      const t = opts.now();
      let e = entries.get(address);
      if (e === undefined || ended(e, t)) {
        entries.delete(address);
        makeRoom(t);
        e = { start: t, failures: 0, refused: 0, refusedBefore: e?.refused ?? 0 };
        entries.set(address, e);
      }
      e.failures++;
      if (e.failures !== opts.maxFailures) return;
      opts.log.warn(
        {
          remote: address,
          where,
          failures: e.failures,
          windowMs: opts.windowMs,
          retryAfterMs: e.start + opts.windowMs - t,
          ...(e.refusedBefore > 0 ? { refusedInLastLockout: e.refusedBefore } : {}),
        },
        'too many failed authentications from one address: its requests are answered 429, unchecked, until the window ends',
      );
    },
  };
}
