import { PermissionViolationError } from '@nats-io/nats-core';
import { SubscriptionRefusedError } from './errors.js';

/**
 * The subject whose subscription the server refused, when `e` is nats.js's report of that refusal
 * (a PermissionViolationError, operation `subscription`, handed to the subscription's callback,
 * which nats.js then closes); undefined for any other error.
 */
export function refusedSubjectOf(e: unknown): string | undefined {
  return e instanceof PermissionViolationError && e.operation === 'subscription' ? e.subject : undefined;
}

/** How a refusal names the login: `NATS user "desk"`, or a connection without one. */
export const natsLoginPhrase = (user: string | undefined): string => (user === undefined ? 'a connection without a NATS user' : `NATS user "${user}"`);

/**
 * The refusal of a core subscription to `subject` under the login `user`, said so that an operator
 * knows what stopped working and what to change: the login lacks the permission to subscribe to it.
 */
export function subscriptionRefusedError(subject: string, user: string | undefined, cause: unknown): SubscriptionRefusedError {
  return new SubscriptionRefusedError(
    subject,
    user,
    `NATS refused the subscription to "${subject}" for ${natsLoginPhrase(user)} (Permissions Violation for Subscription): the login lacks the permission to subscribe to "${subject}", ` +
      'so nothing sent there reaches this process; run it under a login allowed to (deploy/nats/sextant.conf: the engine user subscribes to sx.>; config nats.user / nats.url)',
    { cause },
  );
}
