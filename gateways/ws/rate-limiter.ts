/**
 * Counts events in fixed one-second windows on an injected clock: `hit()` is false once more than
 * `perSecond` events fell in the current window.
 *
 * @example const rl = createRateLimiter(20, () => Date.now()); if (!rl.hit()) ws.close(1008, 'rate limit');
 */
export type RateLimiter = Readonly<{ hit(): boolean }>;

export function createRateLimiter(perSecond: number, now: () => number, windowMs = 1000): RateLimiter {
  let windowStart = Number.NEGATIVE_INFINITY;
  let count = 0;
  return {
    hit: () => {
      const t = now();
      if (t - windowStart >= windowMs) {
        windowStart = t;
        count = 0;
      }
      count++;
      return count <= perSecond;
    },
  };
}
