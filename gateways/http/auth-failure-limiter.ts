import type { Logger } from '../../state/logger.js';
import type { AuthFailureCounts } from './auth-failure-metrics.js';
import { clientAddressKey } from './client-address-key.js';

/**
 * Failed authentications per client address (`POST /api/ctl`, the feed's upgrade and `GET /ws`,
 * a token-guarded `/metrics`), an IPv6 client's counted per /64 and an IPv4-mapped one's as its
 * IPv4 address (`client-address-key.ts`): after `maxFailures` in a window (fixed, from the address's first
 * failure) its further failures are answered 429 and not logged until the window ends. The log
 * gets one line per failure up to that, then one line per window saying the address is locked out
 * (with the failures refused during its last lockout), instead of one per guess.
 *
 * A valid token is never refused: the lockout answers only requests whose token failed. Keyed on
 * the socket's address, a lockout would otherwise let anyone who can reach the port keep the
 * operators' Halt from working — behind a reverse proxy every client is the proxy (X-Forwarded-For
 * is not trusted: any client can send it). Guessing is not what it slows: the tokens are random
 * secrets a guesser cannot reach; it keeps a flood of bad tokens out of the log.
 *
 * A few dozen lines rather than rate-limiter-flexible: that one keeps time with Date.now and
 * timers (no injected clock, so tests would need fake timers), answers through promises (the
 * upgrade handler is synchronous) and does not do the once-a-window log line.
 *
 * @example const limiter = createAuthFailureLimiter({ maxFailures: 20, windowMs: 60_000, now: Date.now, log });
 * if (identity === undefined) { const wait = limiter.failed(addr, 'control'); return wait > 0 ? reply429(wait) : reply401(); }
 */
export type AuthFailureLimiter = Readonly<{
  /**
   * Counts a failed authentication from `address` at `where` (`control`, `feed`, `metrics`); the
   * one that locks it out is logged. Answers how long the address is still locked out (ms): past
   * 0 the caller answers 429 with Retry-After and logs nothing; 0, it answers 401 as it would.
   */
  failed(address: string, where: string): number;
}>;

export type AuthFailureLimiterOptions = Readonly<{
  maxFailures: number;
  windowMs: number;
  now: () => number;
  log: Logger;
  /** Addresses tracked at most (default 10 000): past that, ended windows are dropped, then the oldest. */
  maxAddresses?: number;
  /** Counts each failure and each lockout (`sextant_gateway_auth_failures_total`, `sextant_gateway_auth_lockouts_total`: auth-failure-metrics.ts). */
  counts?: AuthFailureCounts;
}>;

/** `refusedBefore`: failures answered 429 during the address's previous window's lockout, said in this window's lockout line. */
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
    failed: (remote, where) => {
      const t = opts.now();
      const address = clientAddressKey(remote);
      opts.counts?.failure(where);
      let e = entries.get(address);
      if (e !== undefined && !ended(e, t) && e.failures >= opts.maxFailures) {
        e.refused++;
        return e.start + opts.windowMs - t;
      }
      if (e === undefined || ended(e, t)) {
        entries.delete(address);
        makeRoom(t);
        e = { start: t, failures: 0, refused: 0, refusedBefore: e?.refused ?? 0 };
        entries.set(address, e);
      }
      e.failures++;
      if (e.failures !== opts.maxFailures) return 0;
      opts.counts?.lockout(where);
      opts.log.warn(
        {
          remote: address,
          where,
          failures: e.failures,
          windowMs: opts.windowMs,
          retryAfterMs: e.start + opts.windowMs - t,
          ...(e.refusedBefore > 0 ? { refusedInLastLockout: e.refusedBefore } : {}),
        },
        'too many failed authentications from one address: its further failures are answered 429, unlogged, until the window ends (a valid token still passes)',
      );
      return 0;
    },
  };
}
