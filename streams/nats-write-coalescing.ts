import type { NatsConnection } from '@nats-io/nats-core';

type Flushing = { flushPending: () => void };

const protocolOf = (nc: NatsConnection): Flushing | undefined => {
  const protocol: unknown = (nc as unknown as { protocol?: unknown }).protocol;
  return typeof protocol === 'object' && protocol !== null && 'flushPending' in protocol && typeof protocol.flushPending === 'function' ? (protocol as Flushing) : undefined;
};

/**
 * One socket write per event-loop turn instead of one per promise hop. The NATS client writes its
 * outbound buffer in a microtask queued by the first command of a synchronous run, so every
 * promise continuation that publishes (a release's outputs, an ack after a checkpoint, the next
 * pull request, a publish ack's follow-up) became a `write()` of its own — a loopback syscall
 * that wakes the server and costs tens of µs on these virtual machines: at 5,000 bars/s the
 * largest self-time entry of the engine's main thread (14 %). Deferring the flush to
 * `setImmediate` (the check phase of the same turn) sends all that one turn queued at once.
 * The client's own `flush()` and `close()` (a PING, then the PONG awaited) still work: the PING
 * goes out at the end of the turn; a disconnected client keeps its buffer and flushes it on
 * reconnect, as before (the handler outlives reconnects, so the change does too).
 *
 * This reaches into the client (`NatsConnectionImpl.protocol.flushPending`, not public API; the
 * lockfile pins the version and `test/streams/nats-write-coalescing.test.ts` checks the shape).
 * Where the shape is not there it changes nothing and returns false.
 */
export function coalesceWrites(nc: NatsConnection): boolean {
  const protocol = protocolOf(nc);
  if (protocol === undefined) return false;
  const flush = protocol.flushPending.bind(protocol);
  let scheduled = false;
  const run = (): void => {
    scheduled = false;
    flush();
  };
  protocol.flushPending = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(run);
  };
  return true;
}
