import type { Config } from '../config/schema.js';
import type { NatsBusOptions } from '../streams/nats-bus.js';

type NatsSettings = Pick<Config['nats'], 'url' | 'connectTimeoutMs'> & Partial<Pick<Config['nats'], 'user' | 'password' | 'inboxPrefix'>>;

/**
 * How a Sextant process connects to NATS: the config's URL and, for a server with users (such as
 * deploy/nats/sextant.conf), `nats.user` / `nats.password` (e.g. `SEXTANT__nats__password` from
 * the environment) or credentials in the URL (`nats://engine:secret@host:4222`). The NATS client
 * ignores credentials written into a URL, so they are taken out of it here; `nats.user` wins over
 * the URL's. `inboxPrefix` (`nats.inboxPrefix`) is where its replies come in. `display` is the URL
 * without credentials, for logs.
 */
export function natsBusOptions(nats: NatsSettings, name: string): NatsBusOptions & Readonly<{ display: string }> {
  const { url, user, pass } = splitCredentials(nats.url);
  const login = nats.user !== undefined ? { user: nats.user, pass: nats.password ?? '' } : user !== undefined ? { user, pass: pass ?? '' } : {};
  return { url, display: url, name, connectTimeoutMs: nats.connectTimeoutMs, ...login, ...(nats.inboxPrefix !== undefined ? { inboxPrefix: nats.inboxPrefix } : {}) };
}

/** `nats://u:p@h:4222,nats://h2:4222` → the URLs without user info, and the first user and password found. */
function splitCredentials(servers: string): { url: string; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const urls = servers.split(',').map((s) => {
    const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(s.trim());
    if (m === null) return s.trim();
    const [, scheme = '', info = '', rest = ''] = m;
    if (user === undefined) {
      const colon = info.indexOf(':');
      user = decodeURIComponent(colon < 0 ? info : info.slice(0, colon));
      pass = colon < 0 ? undefined : decodeURIComponent(info.slice(colon + 1));
    }
    return `${scheme}${rest}`;
  });
  return { url: urls.join(','), ...(user !== undefined && user !== '' ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
}
