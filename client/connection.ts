import { jetstream } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/** What the helpers accept: a NATS connection, or a JetStream client made from one (with its own options). */
export type Connection = NatsConnection | JetStreamClient;

const isJetStream = (c: Connection): c is JetStreamClient => typeof (c as Partial<JetStreamClient>).jetstreamManager === 'function';

export const toJetStream = (c: Connection): JetStreamClient => (isJetStream(c) ? c : jetstream(c));

/**
 * The connection under a JetStream client. nats.js keeps it on the client object (`nc`) without
 * typing it; subscriptions need it for their own pull requests and acknowledgements.
 */
export function natsOf(c: Connection): NatsConnection {
  if (!isJetStream(c)) return c;
  const nc = (c as unknown as { nc?: NatsConnection }).nc;
  if (nc === undefined || typeof nc.publish !== 'function') throw new TypeError('this JetStream client does not expose its connection: pass the NatsConnection instead');
  return nc;
}
