import type { DurablePublisher, PublishAck } from './bus.js';
import { BusError } from './errors.js';

/**
 * Publishes with its message id, and publishes again — with the same id, so the stream keeps one
 * copy — when the failure says a retry can help (`BusError.retryable`: no acknowledgement in time,
 * the connection lost before it came), up to `attempts` tries in all. Any other failure, or the
 * last try's, is the caller's. The NATS publisher holds publishes while it reconnects, for up to
 * its publish timeout each, so `attempts` tries ride out a broker outage of about
 * (`attempts` − 1) × that timeout; a try never spins.
 */
export function retryingPublish(bus: DurablePublisher, attempts: number): (subject: string, data: Uint8Array, msgId: string) => Promise<PublishAck> {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  const again = (subject: string, data: Uint8Array, msgId: string, tried: number) => (e: unknown): Promise<PublishAck> => {
    if (!(e instanceof BusError) || !e.retryable || tried >= attempts) return Promise.reject(e);
    return bus.publish(subject, data, { msgId }).then(undefined, again(subject, data, msgId, tried + 1));
  };
  return (subject, data, msgId) => bus.publish(subject, data, { msgId }).then(undefined, again(subject, data, msgId, 1));
}
