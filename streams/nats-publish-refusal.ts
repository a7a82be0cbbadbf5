import { PermissionViolationError } from '@nats-io/nats-core';
import { PublishRefusedError } from './errors.js';
import { natsLoginPhrase } from './nats-subscription-refusal.js';

/** How nats.js words the server's refusal of a publish: `Permissions Violation for Publish to "<subject>"`. */
const REFUSED_PUB_RE = /permissions violation for publish to "([^"\s]+)"/i;

/**
 * The subject whose publish the server refused, when `e` (or an error in its `cause` chain) is that
 * refusal: nats.js rejects a request (a JetStream API call included) with a RequestError carrying
 * the server's words, a PermissionViolationError where it parsed them. Undefined for anything else.
 */
export function refusedPublishOf(e: unknown): string | undefined {
  for (let at: unknown = e, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    const subject = at instanceof PermissionViolationError ? (at.operation === 'publish' ? at.subject : undefined) : REFUSED_PUB_RE.exec(at.message)?.[1];
    if (subject !== undefined) return subject;
  }
  return undefined;
}

/**
 * A request on `subject` the server refused to let `user` publish, said as the other refusals are
 * (nats-subscription-refusal.ts, nats-stream-refusal.ts) rather than as nats.js's bare words; the
 * caller says what the request was for ({@link PublishRefusedError}'s subject and user).
 */
export function publishRefusedError(subject: string, user: string | undefined, cause: unknown): PublishRefusedError {
  return new PublishRefusedError(
    subject,
    user,
    `NATS refused ${natsLoginPhrase(user)} the publish to "${subject}" (Permissions Violation for Publish): the login lacks the permission to publish to "${subject}"`,
    { cause },
  );
}
