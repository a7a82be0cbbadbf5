import { hostname } from 'node:os';
import type { Bus, Requester, Responder, Subscription } from '../streams/bus.js';
import { BusTimeoutError, NoResponderError, PublishRefusedError } from '../streams/errors.js';
import { natsLoginPhrase } from '../streams/nats-subscription-refusal.js';
import type { Subjects } from '../streams/subjects.js';
import type { Logger } from '../state/logger.js';

import type { EngineIdentity } from '../streams/messages/engine-presence.js';

/** Who holds a namespace: sent as the reply on `<prefix>.engine.presence` (schema: streams/messages/engine-presence.ts). */
export type { EngineIdentity };

/** Another engine already answers in this namespace (same subject prefix). Not retryable: stop it or use another prefix. */
export class EngineAlreadyRunningError extends Error {
  override readonly name = 'EngineAlreadyRunningError';
  readonly retryable = false;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** How long the probe waits: a live engine answers from its event loop, well within this. */
const PROBE_TIMEOUT_MS = 1000;

const who = (raw: Uint8Array): string => {
  try {
    const id = JSON.parse(dec.decode(raw)) as Partial<EngineIdentity>;
    return `pid ${String(id.pid)} on ${String(id.host)}, started ${typeof id.startedAt === 'number' ? new Date(id.startedAt).toISOString() : '?'}`;
  } catch {
    return 'an engine that sent an unreadable reply';
  }
};

/**
 * The warning for a presence probe the server refused to publish (`sextant run` under the desk's
 * login): what was refused, what it costs, and what to run instead, in the words of the other
 * refusals (nats-stream-refusal.ts) rather than nats.js's bare `Permissions Violation for Publish to "sx.engine.presence"`.
 */
export function presenceRefusedMessage(subject: string, user: string | undefined): string {
  return (
    `NATS refused ${natsLoginPhrase(user)} the publish to "${subject}" (Permissions Violation for Publish): the engine's presence probe needs ` +
    `the permission to publish to "${subject}" to ask whether another engine already runs in this namespace (two would share the ` +
    "durables and the account's risk state), so it cannot tell; run the engine as the engine user (deploy/nats/sextant.conf: engine " +
    'publishes to sx.>; config nats.user: engine, nats.password from SEXTANT_ENGINE_PASSWORD, nats.inboxPrefix: _INBOX_engine)'
  );
}

/**
 * Claims the namespace for this engine: asks `<prefix>.engine.presence` whether an engine already
 * answers there and, if none does, answers there itself until the returned subscription is
 * unsubscribed. Two engines on one prefix would share the asset actors' durables and both decide,
 * publish and write the risk state of the same account, and `sextant ctl` would reach only one of
 * them — so the second is refused with {@link EngineAlreadyRunningError} naming the first.
 * The claim is flushed to the server before it is returned, so an engine that probes after that
 * is refused; two engines whose probes both go out before either claim can still both pass. A probe the bus cannot
 * send (a NATS user without the right: {@link presenceRefusedMessage}) is logged and does not block the start.
 *
 * @example const presence = await claimNamespace(bus, subjectsFor(cfg.prefix), log); … presence.unsubscribe();
 */
export async function claimNamespace(bus: Requester & Responder & Partial<Pick<Bus, 'flush'>>, subjects: Subjects, log: Logger, now: () => number = Date.now): Promise<Subscription> {
  const subject = subjects.enginePresence();
  let reply: Uint8Array | undefined;
  try {
    reply = await bus.request(subject, enc.encode('{}'), PROBE_TIMEOUT_MS);
  } catch (e) {
    if (e instanceof BusTimeoutError) throw new EngineAlreadyRunningError(`an engine already listens on ${subject} but did not answer within ${PROBE_TIMEOUT_MS} ms: stop it, or give this one another prefix (config prefix, streamNamePrefix, redis.keyPrefix, postgres.schema)`);
    if (e instanceof PublishRefusedError) log.warn({ subject, user: e.user ?? null }, presenceRefusedMessage(subject, e.user));
    else if (!(e instanceof NoResponderError)) log.warn({ err: String(e), subject }, 'cannot tell whether another engine runs in this namespace');
  }
  if (reply !== undefined) throw new EngineAlreadyRunningError(`another engine already answers on ${subject} (${who(reply)}): stop it, or give this one another prefix (config prefix, streamNamePrefix, redis.keyPrefix, postgres.schema)`);
  const identity: EngineIdentity = { pid: process.pid, host: hostname(), startedAt: now() };
  const held = bus.serve(subject, () => enc.encode(JSON.stringify(identity)));
  // The subscription is only sent to the server with the connection's next write: until it is
  // there, a second engine's probe finds no responder and claims the namespace too. A flush makes
  // the claim hold from the moment it is returned (CI saw the gap on a loaded host).
  if (bus.flush !== undefined) await bus.flush();
  return held;
}

/**
 * {@link claimNamespace} for a command that has connected its adapters: a refused claim closes
 * them before it is rethrown, so the refused process exits without open connections.
 */
export async function claimNamespaceOrClose(adapters: Readonly<{ bus: Requester & Responder & Partial<Pick<Bus, 'flush'>>; close(): Promise<void> }>, subjects: Subjects, log: Logger): Promise<Subscription> {
  try {
    return await claimNamespace(adapters.bus, subjects, log);
  } catch (e) {
    await adapters.close();
    throw e;
  }
}
