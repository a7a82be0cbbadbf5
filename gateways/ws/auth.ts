import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { GatewayRole, GatewayToken } from '../http/gateway-config.js';

export type Identity = Readonly<{ name: string; role: GatewayRole }>;

export type TokenAuth = Readonly<{
  /** The identity a bearer token belongs to, or undefined. Compares in constant time. */
  authenticate(token: string | undefined): Identity | undefined;
}>;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Checks bearer tokens against the configured ones (digests compared with `timingSafeEqual`). */
export function createTokenAuth(tokens: readonly GatewayToken[]): TokenAuth {
  const known = tokens.map((t) => ({ digest: digest(t.token), identity: { name: t.name, role: t.role } as Identity }));
  return {
    authenticate: (token) => {
      if (token === undefined || token === '') return undefined;
      const d = digest(token);
      let found: Identity | undefined;
      // No early exit: every configured token is compared, whichever matches.
      for (const k of known) if (timingSafeEqual(k.digest, d)) found ??= k.identity;
      return found;
    },
  };
}

/** `Authorization: Bearer <token>`, if present. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/**
 * The feed's token: `?token=…` on the upgrade URL, else the Authorization header. An empty
 * `?token=` (a proxy or a bookmark may add one) counts as absent, so it never hides a good header.
 */
export function feedToken(req: IncomingMessage): string | undefined {
  let query: string | null = null;
  try {
    query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
  } catch {
    // A target that is not a URL carries no query token (the server refuses it before this).
  }
  return query !== null && query !== '' ? query : bearerToken(req);
}
