import { describe, expect, it } from 'vitest';
import { controlRefusal, lockoutLine, probeVerdictOf, retryAfterMs } from '../../../gateways/dashboard/src/auth-lockout.js';

/**
 * The gateway answers 429 with Retry-After to an address past `gateway.authFailureLimit` (79ef857):
 * the control line said "HTTP 429: unexpected reply {…too many requests…}" and the feed's probe
 * read it as unknown, reconnecting on its backoff without a word of why.
 */
describe('dashboard: the gateway locking an address out for failed logins (429)', () => {
  it('reads Retry-After as seconds or an HTTP date; null when missing or unreadable', () => {
    expect(retryAfterMs('30', 0)).toBe(30_000);
    expect(retryAfterMs(' 7 ', 0)).toBe(7_000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:01:00 GMT', 15_000)).toBe(45_000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:01:00 GMT', 90_000)).toBe(0);
    expect(retryAfterMs(null, 0)).toBeNull();
    expect(retryAfterMs('', 0)).toBeNull();
    expect(retryAfterMs('soon', 0)).toBeNull();
    expect(retryAfterMs('-5', 0)).toBeNull();
  });

  it('says on the control line that the address is locked out, for how long, and to check the operator token', () => {
    const line = controlRefusal(429, '30', 0);
    expect(line).toBe('operator token refused, and this address is locked out for failed logins for 30 s (Retry-After): check the token (a valid one is accepted even now)');
    expect(controlRefusal(429, null, 0)).toBe(lockoutLine('operator', null));
    expect(lockoutLine('operator', null)).not.toMatch(/\d/);
    expect(controlRefusal(401, null, 0)).toBe('operator token refused (401)');
    expect(controlRefusal(403, null, 0)).toBe('operator token refused (403)');
    expect(controlRefusal(503, '30', 0)).toBeNull();
    expect(controlRefusal(200, null, 0)).toBeNull();
  });

  it("makes the feed's probe of GET /ws a lockout with its Retry-After on 429, as before otherwise", () => {
    expect(probeVerdictOf(429, '30', 0)).toEqual({ lockedOutMs: 30_000 });
    expect(probeVerdictOf(429, null, 0)).toEqual({ lockedOutMs: null });
    expect(probeVerdictOf(401, null, 0)).toBe('refused');
    expect(probeVerdictOf(426, null, 0)).toBe('accepted');
    expect(probeVerdictOf(503, '30', 0)).toBe('unknown');
  });
});
