import { JetStreamApiError } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { natsOf } from './connection.js';
import type { Connection } from './connection.js';
import { inboxPrefixOf } from '../streams/nats-inbox.js';
import { CLIENT_INBOX_REMEDY, inboxRefusedMessage, refusedInboxOf } from '../streams/nats-inbox-refusal.js';

/** A message or call the client refused, with a detail naming the offending field. Not retryable. */
export class ClientValidationError extends Error {
  override readonly name = 'ClientValidationError';
  readonly retryable = false;
}

/** The durable exists with a configuration this subscription cannot use (another filter, push delivery). */
export class DurableConflictError extends Error {
  override readonly name = 'DurableConflictError';
  readonly retryable = false;
}

/**
 * A second consumer (another `for await` loop, an iterator or `consume`) on a subscription that
 * already has one. A subscription acknowledges the message its consumer holds when that consumer
 * asks for the next, so two consumers would acknowledge each other's messages while they are still
 * being handled. Open one subscription per consumer on the same durable to share its messages.
 */
export class SubscriptionInUseError extends Error {
  override readonly name = 'SubscriptionInUseError';
  readonly retryable = false;
}

/**
 * No JetStream stream takes the subject, or the stream named does not exist: almost always a
 * `prefix` or `stream` that is not the engine's (config `prefix`, `streamNamePrefix` + `SIGNALS`),
 * or an engine that has not provisioned its streams yet. nats.js reports the first as "jetstream
 * is not enabled" and the second as "stream not found", naming neither.
 */
export class NoStreamError extends Error {
  override readonly name = 'NoStreamError';
  readonly retryable = false;
}

/** nats.js's answer to a JetStream publish that no stream captured (its 503 "no responders"). */
export const isNoStreamForSubject = (e: unknown): boolean => e instanceof Error && e.name === 'JetStreamNotEnabled';
/**
 * The server's answer to a consumer whose filter the stream does not store (NATS error 10093,
 * "consumer filter subject is not a valid subset of the interest subjects"): a `stream` given
 * without its engine's `prefix`, or the other way round.
 */
export const isFilterNotInStream = (e: unknown): boolean => e instanceof JetStreamApiError && e.code === 10093;
/** nats.js's answer to a consumer lookup on a stream that does not exist. */
export const isStreamNotFound = (e: unknown): boolean => e instanceof Error && e.name === 'StreamNotFoundError';

/**
 * The NATS server refused the connection's reply inbox (Permissions Violation for Subscription to
 * "_INBOX.…"): the login may read replies only under an inbox prefix of its own
 * (deploy/nats/sextant.conf: `_INBOX_desk`, `_INBOX_dashboard`), and the connection was opened
 * with another, nats.js's default `_INBOX` when none was given. No request, publish
 * acknowledgement or pull on it can be answered; connect with `inboxPrefix` set. `subject` is the
 * inbox refused.
 */
export class InboxRefusedError extends Error {
  override readonly name = 'InboxRefusedError';
  readonly retryable = false;
  readonly subject: string;
  constructor(subject: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.subject = subject;
  }
}

/**
 * {@link InboxRefusedError} for `e` when it is the server's refusal of an inbox under the
 * connection's prefix, else undefined. `note` is added to the message (what became of a publish).
 */
export function inboxRefusal(e: unknown, conn: Connection, note = ''): InboxRefusedError | undefined {
  let nc: NatsConnection;
  try {
    nc = natsOf(conn);
  } catch {
    return undefined; // a JetStream client without its connection: its prefix is unknown
  }
  const prefix = inboxPrefixOf(nc);
  const subject = refusedInboxOf(e, prefix);
  return subject === undefined ? undefined : new InboxRefusedError(subject, `${inboxRefusedMessage(subject, prefix, CLIENT_INBOX_REMEDY)}${note}`, { cause: e });
}
