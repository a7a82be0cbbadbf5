import { StreamRefusedError } from './errors.js';
import { refusedPublishOf } from './nats-publish-refusal.js';
import { natsLoginPhrase } from './nats-subscription-refusal.js';

/**
 * The JetStream API subject (`$JS.API.STREAM.CREATE.MD`) whose publish the server refused, when
 * `e` (or an error in its `cause` chain) is that refusal: nats.js rejects the API request with a
 * RequestError carrying the server's words, a PermissionViolationError where it parsed them.
 * Undefined for anything else.
 */
export function refusedStreamApiOf(e: unknown): string | undefined {
  const subject = refusedPublishOf(e);
  return subject?.startsWith('$JS.API.STREAM.') === true ? subject : undefined;
}

/**
 * The refusal to create or update `stream` under the login `user`, said so that an operator knows
 * what is missing and what to do: every process that writes to the streams provisions them at
 * start, which only the engine's login may (deploy/nats/sextant.conf); desk and dashboard read
 * the streams the engine made. As the engine says of a login that may not subscribe to sx.ctl.>
 * (control-subscription-check.ts), rather than nats.js's bare "Permissions Violation for Publish".
 */
export function streamRefusedError(stream: string, subject: string, user: string | undefined, cause: unknown): StreamRefusedError {
  return new StreamRefusedError(
    stream,
    subject,
    user,
    `NATS refused ${natsLoginPhrase(user)} the creation of JetStream stream ${stream} (Permissions Violation for Publish to "${subject}"): ` +
      `the login lacks the permission to publish to "${subject}" (the JetStream API that creates and updates streams), and sextant run, ` +
      'gateway and replay create or update the streams (MD, SIGNALS, OUTCOMES, DLQ) at start; run them as the engine user ' +
      '(deploy/nats/sextant.conf: engine publishes to $JS.API.>; config nats.user: engine, nats.password from SEXTANT_ENGINE_PASSWORD, ' +
      'nats.inboxPrefix: _INBOX_engine). The desk and dashboard logins only read the streams the engine created (sextant/client).',
    { cause },
  );
}
