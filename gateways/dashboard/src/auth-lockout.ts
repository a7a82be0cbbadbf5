import type { ProbeVerdict } from './feed-client.js';

/**
 * The gateway's 429 for failed logins (`gateways/http/auth-failure-limiter.ts`): past
 * `gateway.authFailureLimit` an address's further failed authentications are answered 429 with
 * `Retry-After` (seconds) instead of 401. A valid token always passes, so a 429 still means the
 * token was refused: the operator must check it, and waiting out the lockout alone changes nothing
 * but the status (401 again). What the page says of it, and what the feed's probe makes of it.
 * No DOM (control-client.ts and main.ts, which need it, call these): unit-tested under Node.
 */

/**
 * `Retry-After` in ms from `now`: delay-seconds (`30`, what the gateway sends) or an HTTP date;
 * null when missing or unreadable, 0 for a date already past.
 *
 * @example retryAfterMs('30', 0) // 30_000
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | null {
  const h = header?.trim() ?? '';
  if (/^\d+$/.test(h)) return Number(h) * 1000;
  // An HTTP date names its day and month (`Wed, 21 Oct 2015 07:28:00 GMT`): Date.parse alone reads `-5` as a year.
  const at = /[a-z]/i.test(h) ? Date.parse(h) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The line for a login refused with 429: the address is locked out for failed logins, for how
 * long, and that the token is what to check.
 *
 * @example lockoutLine('operator', 30_000)
 * // 'operator token refused, and this address is locked out for failed logins for 30 s (Retry-After): check the token (a valid one is accepted even now)'
 */
export function lockoutLine(token: 'operator' | 'viewer', retryMs: number | null): string {
  const howLong = retryMs === null ? '' : ` for ${Math.ceil(retryMs / 1000)} s (Retry-After)`;
  return `${token} token refused, and this address is locked out for failed logins${howLong}: check the token (a valid one is accepted even now)`;
}

/**
 * Why `POST /api/ctl/<verb>` refused the operator token (401, 403, 429), null for any other status.
 *
 * @example controlRefusal(429, '30', 0) // lockoutLine('operator', 30_000)
 */
export function controlRefusal(status: number, retryAfter: string | null, now: number): string | null {
  if (status === 429) return lockoutLine('operator', retryAfterMs(retryAfter, now));
  return status === 401 || status === 403 ? `operator token refused (${status})` : null;
}

/**
 * What the feed client makes of `GET /ws` with the viewer token: 401 → refused, 426 → accepted,
 * 429 → locked out (wait at least `Retry-After`, then try again), anything else → unknown.
 */
export function probeVerdictOf(status: number, retryAfter: string | null, now: number): ProbeVerdict {
  if (status === 429) return { lockedOutMs: retryAfterMs(retryAfter, now) };
  return status === 401 ? 'refused' : status === 426 ? 'accepted' : 'unknown';
}
