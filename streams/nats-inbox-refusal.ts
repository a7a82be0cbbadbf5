import { PermissionViolationError } from '@nats-io/nats-core';
import { refusedSubjectOf } from './nats-subscription-refusal.js';

/** How nats.js words the server's refusal of a subscription: `Permissions Violation for Subscription to "<subject>"`. */
const REFUSED_SUB_RE = /permissions violation for subscription to "([^"\s]+)"/i;

/**
 * The inbox subject whose subscription the server refused, when `e` (or an error in its `cause`
 * chain) is that refusal for an inbox under `prefix`: nats.js hands it to the subscription's
 * callback as a PermissionViolationError, and rejects a request whose reply subscription it was
 * with a RequestError carrying the server's words. Undefined for anything else, a refused
 * subscription to another subject (`sx.ctl.>`) included.
 */
export function refusedInboxOf(e: unknown, prefix: string): string | undefined {
  for (let at: unknown = e, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    const subject = at instanceof PermissionViolationError ? refusedSubjectOf(at) : REFUSED_SUB_RE.exec(at.message)?.[1];
    if (subject !== undefined && subject.startsWith(`${prefix}.`)) return subject;
  }
  return undefined;
}

/**
 * What to say when the server refused a connection's reply inbox `subject`: nothing on that
 * connection (requests, JetStream API calls, publish acknowledgements, pulls) can be answered.
 * `remedy` says which inbox prefix the caller's login should use.
 */
export const inboxRefusedMessage = (subject: string, prefix: string, remedy: string): string =>
  `NATS refused the subscription to this connection's reply inbox "${subject}" (Permissions Violation for Subscription): ` +
  `the login may not read replies under the inbox prefix ${prefix}, so no request, publish acknowledgement or pull on this connection can be answered; ${remedy}`;

/** For the engine's own connections (NatsBus): which inbox prefix each of its logins reads its replies on, and where it is set. */
export const BUS_INBOX_REMEDY =
  "set the connection's inbox prefix to the login's own (deploy/nats/sextant.conf: _INBOX_engine for the engine, config nats.inboxPrefix; _INBOX_operator for `sextant ctl --inbox-prefix` and gateway.controlNats.inboxPrefix; README, NATS permissions)";

/** For sextant/client's callers: the `inboxPrefix` of their nats.js connection. */
export const CLIENT_INBOX_REMEDY =
  "connect with inboxPrefix set to your user's own prefix, e.g. connect({ user: 'desk', pass, inboxPrefix: '_INBOX_desk' }) for the desk, '_INBOX_dashboard' for the dashboard (deploy/nats/sextant.conf; README, Live trading consumers)";
