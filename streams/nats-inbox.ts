import { createInbox } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/nats-core';

/** The inbox prefix of nats.js when a connection names none. */
export const DEFAULT_INBOX_PREFIX = '_INBOX';

/** The operator user's inboxes in deploy/nats/sextant.conf: `sextant ctl` and the dashboard's control login (`gateway.controlNats`). */
export const OPERATOR_INBOX_PREFIX = '_INBOX_operator';

/** One or more subject tokens without wildcards or whitespace: `_INBOX_engine`, `_INBOX.desk-1`. */
export const INBOX_PREFIX_RE = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/**
 * The inbox prefix a connection was opened with (nats.js's `inboxPrefix` connection option, which
 * its own requests and JetStream calls use), `_INBOX` when none. nats.js keeps the options on the
 * connection object without typing them on `NatsConnection`.
 */
export function inboxPrefixOf(nc: NatsConnection): string {
  const p = (nc as unknown as { options?: { inboxPrefix?: unknown } }).options?.inboxPrefix;
  return typeof p === 'string' && p !== '' ? p : DEFAULT_INBOX_PREFIX;
}

/**
 * A fresh inbox under the connection's prefix. A server with per-user inboxes
 * (deploy/nats/sextant.conf: `_INBOX_desk.>` for the desk user, …) refuses a subscription to
 * `createInbox()`'s `_INBOX.…`, so every inbox of ours is made here.
 */
export const inboxFor = (nc: NatsConnection): string => createInbox(inboxPrefixOf(nc));
