import type { NatsConnection } from '@nats-io/nats-core';

type Disconnecting = { disconnected: (err?: Error) => Promise<void> };

const protocolOf = (nc: NatsConnection): Disconnecting | undefined => {
  const protocol: unknown = (nc as unknown as { protocol?: unknown }).protocol;
  return typeof protocol === 'object' && protocol !== null && 'disconnected' in protocol && typeof protocol.disconnected === 'function' ? (protocol as Disconnecting) : undefined;
};

/**
 * Why the link dropped, for the `disconnected` status: the client's `disconnect` status names only
 * the server. The client passes the socket's error (ECONNRESET, EPIPE, a stale connection) to its
 * protocol's `disconnected(err)` right before it dispatches that status, so wrapping it keeps the
 * error for the status loop to read (undefined: the peer closed the socket cleanly, as a server
 * that is stopped does; {@link disconnectReason} says it).
 *
 * This reaches into the client (`NatsConnectionImpl.protocol.disconnected`, not public API, as
 * `nats-write-coalescing.ts` does; the lockfile pins the version and
 * `test/streams/nats-connection-watch.test.ts` checks the shape). Where the shape is not there it
 * changes nothing (`hooked` false), and `take()` says undefined.
 */
export function captureDisconnectCause(nc: NatsConnection): Readonly<{ hooked: boolean; take(): Error | undefined }> {
  const protocol = protocolOf(nc);
  let last: Error | undefined;
  if (protocol !== undefined) {
    const disconnected = protocol.disconnected.bind(protocol);
    protocol.disconnected = (err?: Error) => {
      last = err;
      return disconnected(err);
    };
  }
  return {
    hooked: protocol !== undefined,
    /** The error of the last disconnect, once. */
    take: () => {
      const e = last;
      last = undefined;
      return e;
    },
  };
}

/** Why a link dropped when the server ended it with nothing said: a stopped or restarting server (or a proxy in front of it). */
export const SERVER_CLOSED = 'server closed the connection';

/**
 * What to say of a drop, from the socket's error (`captureDisconnectCause`) and the server's last
 * `-ERR` since the link came up:
 * - the server's `-ERR` when the socket says nothing or only EPIPE: a server that says why and
 *   then closes is reported by its reason, not by the client's write that met the closed socket;
 * - {@link SERVER_CLOSED}, with the code, for EPIPE alone: the client answers the server's FIN
 *   with a write (transport-node's `end` handler), which fails so when the server is gone; a
 *   cleanly stopped server shows this or nothing, depending on timing;
 * - {@link SERVER_CLOSED} when neither says anything (closed cleanly);
 * - else the socket's error (ECONNRESET: a dropped network path; a stale connection).
 */
export function disconnectReason(err: Error | undefined, serverError: string | undefined): string {
  const peerClosed = err === undefined || (err as NodeJS.ErrnoException).code === 'EPIPE';
  if (peerClosed && serverError !== undefined && serverError !== '') return serverError;
  if (err === undefined) return SERVER_CLOSED;
  if (peerClosed) return `${SERVER_CLOSED} (${err.message})`;
  return err.message === '' ? String(err) : err.message;
}
