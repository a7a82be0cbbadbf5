import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { AuthFailureLimiter } from '../http/auth-failure-limiter.js';
import type { Identity, TokenAuth } from './auth.js';
import { feedToken } from './auth.js';
import type { Hub } from './hub.js';

export type FeedUpgradeOptions = Readonly<{
  hub: Hub;
  auth: TokenAuth;
  /** The request's Origin and Host (the gateway's own pages are same-origin). */
  originAllowed: (origin: string | undefined, host?: string) => boolean;
  maxClients: number;
  maxInboundBytes: number;
  /** Failed authentications per client address: a locked-out address is refused 429 before its token is checked. */
  limiter?: AuthFailureLimiter;
}>;

export type FeedUpgrade = Readonly<{
  /** Handles an HTTP upgrade to `/ws`: refuses it with a plain HTTP status, or hands the socket to the hub. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Who the request's feed token (`?token=` or `Authorization: Bearer`) belongs to, or undefined
   * when the upgrade would be refused with 401: the plain `GET /ws` answers by the same rule.
   */
  identify(req: IncomingMessage): Identity | undefined;
  close(): void;
}>;

/** Answers a refused upgrade with a bare HTTP response and drops the socket: no websocket byte is ever sent. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Readonly<Record<string, string>> = {}): void {
  if (socket.destroyed) return;
  const body = `${reason}\n`;
  const extra = Object.entries({ ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
  socket.destroy();
}

/**
 * The websocket endpoint (`ws` in `noServer` mode): authentication (401), origin (403) and
 * capacity (503) are checked on the upgrade request, before a websocket exists. Oversize client
 * frames are refused by `ws` itself (`maxPayload`, close 1009).
 */
export function createFeedUpgrade(opts: FeedUpgradeOptions): FeedUpgrade {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxInboundBytes, perMessageDeflate: false, clientTracking: false });
  let upgrading = 0;
  // A `metrics` token (Prometheus') reads /metrics only: to the feed it is no token at all.
  const identify = (req: IncomingMessage): Identity | undefined => {
    const identity = opts.auth.authenticate(feedToken(req));
    return identity?.role === 'metrics' ? undefined : identity;
  };
  return {
    identify,
    handle: (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const remote = req.socket.remoteAddress ?? 'unknown';
      const identity = identify(req);
      if (identity === undefined) {
        const lockedMs = opts.limiter?.failed(remote, 'feed') ?? 0;
        if (lockedMs > 0) return refuseUpgrade(socket, 429, 'too many failed authentications', { 'Retry-After': String(Math.ceil(lockedMs / 1000)) });
        return refuseUpgrade(socket, 401, 'unknown or missing token');
      }
      if (!opts.originAllowed(req.headers.origin, req.headers.host)) return refuseUpgrade(socket, 403, 'origin not allowed');
      if (opts.hub.clientCount() + upgrading >= opts.maxClients) return refuseUpgrade(socket, 503, 'too many clients');
      upgrading++;
      let settled = false;
      const settle = (): void => {
        if (!settled) upgrading--;
        settled = true;
      };
      // A handshake that fails (bad key, wrong version) never calls back: it ends the socket.
      socket.once('close', settle);
      wss.handleUpgrade(req, socket, head, (ws) => {
        settle();
        opts.hub.attach(ws, identity);
      });
    },
    close: () => wss.close(),
  };
}
