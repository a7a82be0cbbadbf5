import { AuthorizationError, PermissionViolationError, UserAuthenticationExpiredError } from '@nats-io/nats-core';

/**
 * Whether NATS refused `e` (somewhere in its `cause` chain): the login (Authorization Violation,
 * an expired user) or a permission (Permissions Violation for Publish to "sx.ctl.halt"). The
 * server answered, so the credentials or the user's permissions are wrong, not the engine down:
 * `sextant ctl` exits 1 for it, as for a refused command, and 3 only when the engine is not reached.
 */
export function refusedByNats(e: unknown): boolean {
  for (let at: unknown = e, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    if (at instanceof AuthorizationError || at instanceof PermissionViolationError || at instanceof UserAuthenticationExpiredError) return true;
    // nats.js may hand the server's -ERR over as a plain Error (another copy of the package, a wrapped message).
    if (/authorization violation|permissions violation|user authentication (expired|revoked)|authentication timeout/i.test(at.message)) return true;
  }
  return false;
}
