/**
 * A token bucket on an injected clock: it holds at most `perSecond` tokens, refills continuously
 * at `perSecond` per `windowMs`, and each `hit()` takes one; `hit()` is false when none is left.
 * Unlike counting in fixed windows, a client can never get more than `perSecond` messages through
 * in a burst (a fixed window let `2 × perSecond` through across a window boundary).
 *
 * @example const rl = createRateLimiter(20, () => Date.now()); if (!rl.hit()) ws.close(1008, 'rate limit');
 */
export type RateLimiter = Readonly<{ hit(): boolean }>;

export function createRateLimiter(perSecond: number, now: () => number, windowMs = 1000): RateLimiter {
  // Counted in 1/windowMs of a token: with an integer clock the arithmetic is exact, so a client
  // that sends exactly `perSecond` per `windowMs` is never refused for a rounding error.
  const capacity = perSecond * windowMs;
  let level = capacity;
  let last: number | undefined;
  return {
    hit: () => {
      const t = now();
      // A clock that steps back refills nothing (and takes nothing away).
      if (last !== undefined && t > last) level = Math.min(capacity, level + (t - last) * perSecond);
      if (last === undefined || t > last) last = t;
      if (level < windowMs) return false;
      level -= windowMs;
      return true;
    },
  };
}
