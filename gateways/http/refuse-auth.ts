import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';
import { sendJson } from './http-reply.js';

const remoteOf = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';

/**
 * Counts a failed authentication at `where` and answers it: 401 with `WWW-Authenticate: Bearer`
 * and `unauthorized` as the body, or 429 (with Retry-After) when its address is locked out
 * (`auth-failure-limiter.ts`). The dashboard's gateway and the market-data gateway answer alike.
 */
export function refuseAuth(limiter: AuthFailureLimiter, req: IncomingMessage, res: ServerResponse, where: string, unauthorized: Readonly<Record<string, string>>): void {
  const ms = limiter.failed(remoteOf(req), where);
  if (ms > 0) return sendJson(res, 429, { error: 'too many requests', message: 'too many failed authentications from this address: try again later' }, { 'Retry-After': String(Math.ceil(ms / 1000)) });
  sendJson(res, 401, unauthorized, { 'WWW-Authenticate': 'Bearer' });
}
