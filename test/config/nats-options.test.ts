import { describe, expect, it } from 'vitest';
import { natsBusOptions } from '../../cli/nats-options.js';
import { loadConfig } from '../../config/load.js';

describe('natsBusOptions', () => {
  it('takes the user and password out of the URL (the NATS client ignores them there)', () => {
    expect(natsBusOptions({ url: 'nats://engine:p%40ss@127.0.0.1:4222', connectTimeoutMs: 100 }, 'x')).toEqual({
      url: 'nats://127.0.0.1:4222', display: 'nats://127.0.0.1:4222', name: 'x', connectTimeoutMs: 100, user: 'engine', pass: 'p@ss',
    });
    expect(natsBusOptions({ url: 'nats://a:1@h1:4222,nats://h2:4222', connectTimeoutMs: 100 }, 'x')).toMatchObject({ url: 'nats://h1:4222,nats://h2:4222', user: 'a', pass: '1' });
  });

  it('prefers nats.user / nats.password to the URL, and passes no login when there is none', () => {
    expect(natsBusOptions({ url: 'nats://u:p@h:4222', connectTimeoutMs: 1, user: 'engine', password: 's' }, 'x')).toMatchObject({ url: 'nats://h:4222', user: 'engine', pass: 's' });
    const none = natsBusOptions({ url: 'nats://127.0.0.1:4222', connectTimeoutMs: 1 }, 'x');
    expect(none).toEqual({ url: 'nats://127.0.0.1:4222', display: 'nats://127.0.0.1:4222', name: 'x', connectTimeoutMs: 1 });
  });

  it('reads nats.user and nats.password from the environment, a numeric password as text', () => {
    const cfg = loadConfig({ env: { SEXTANT__nats__user: 'engine', SEXTANT__nats__password: '12345' } });
    expect(cfg.nats).toMatchObject({ user: 'engine', password: '12345' });
    expect(natsBusOptions(cfg.nats, 'x')).toMatchObject({ user: 'engine', pass: '12345' });
  });

  it("connects with nats.inboxPrefix (the engine user's inboxes of deploy/nats/sextant.conf by default) and refuses one with a wildcard", () => {
    expect(natsBusOptions(loadConfig({ env: {} }).nats, 'x')).toMatchObject({ inboxPrefix: '_INBOX_engine' });
    expect(natsBusOptions(loadConfig({ env: { SEXTANT__nats__inboxPrefix: '_INBOX.engine-2' } }).nats, 'x')).toMatchObject({ inboxPrefix: '_INBOX.engine-2' });
    expect(() => loadConfig({ env: { SEXTANT__nats__inboxPrefix: '_INBOX.>' } })).toThrow(/inboxPrefix.*wildcards/);
    expect(loadConfig({ env: { SEXTANT__gateway__controlNats__user: 'operator' } }).gateway.controlNats).toEqual({ user: 'operator', inboxPrefix: '_INBOX_operator' });
  });
});
