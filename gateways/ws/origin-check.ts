/**
 * Browser origin check for the feed and control (cross-site websocket hijacking: a page on
 * another site could otherwise open the feed with the user's token). Origins compare exactly
 * (scheme://host[:port], case-insensitive); `*` in the allowlist admits any origin. Clients that
 * send no Origin (scripts, services) pass only when `allowMissing` is true.
 *
 * The gateway's own pages are admitted too when `sameOrigin` is given: an Origin equal to the
 * request's `Host` on the gateway's scheme, so the dashboard it serves works on any port without
 * `*`. Only for a Host that names the server itself — an IP literal, `localhost`, the address it
 * binds, or a host name of `allowedOrigins` (any port): a DNS-rebinding page (its own name
 * resolving to this machine) has a matching Host and Origin too, and is still refused.
 */
export type OriginPolicy = Readonly<{ allowedOrigins: readonly string[]; allowMissingOrigin: boolean }>;

export type SameOrigin = Readonly<{ scheme: 'http' | 'https'; bindHost: string }>;

const normalise = (o: string): string => o.trim().toLowerCase().replace(/\/+$/, '');

/** `example.com:8080` → `example.com`, `[::1]:8080` → `[::1]`. */
const hostnameOf = (host: string): string => {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
};

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

const originHostname = (origin: string): string | undefined => {
  try {
    return new URL(origin).hostname.toLowerCase();
  } catch {
    return undefined;
  }
};

export function createOriginCheck(policy: OriginPolicy, sameOrigin?: SameOrigin): (origin: string | undefined, host?: string) => boolean {
  const allowed = new Set(policy.allowedOrigins.map(normalise));
  const any = allowed.has('*');
  const bind = sameOrigin === undefined ? '' : hostnameOf(sameOrigin.bindHost.includes(':') && !sameOrigin.bindHost.startsWith('[') ? `[${sameOrigin.bindHost}]` : sameOrigin.bindHost);
  const trustedNames = new Set(['localhost', bind, ...policy.allowedOrigins.map(originHostname).filter((h): h is string => h !== undefined)]);
  const isSelf = (origin: string, host: string | undefined): boolean => {
    if (sameOrigin === undefined || host === undefined || host === '') return false;
    if (normalise(origin) !== `${sameOrigin.scheme}://${host.trim().toLowerCase()}`) return false;
    const name = hostnameOf(host);
    return IPV4.test(name) || name.startsWith('[') || trustedNames.has(name);
  };
  return (origin, host) => {
    if (origin === undefined || origin === '') return policy.allowMissingOrigin;
    return any || allowed.has(normalise(origin)) || isSelf(origin, host);
  };
}
