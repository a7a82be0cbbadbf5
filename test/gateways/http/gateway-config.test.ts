import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { resolveGatewayTokens, usesDevDefault } from '../../../gateways/http/gateway-config.js';
import { subjectLabel } from '../../../gateways/http/metrics.js';

describe('gateway config', () => {
  it('ships a disabled gateway whose tokens come from SEXTANT_VIEWER_TOKEN / SEXTANT_OPERATOR_TOKEN / SEXTANT_METRICS_TOKEN', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.gateway).toMatchObject({ enabled: false, host: '127.0.0.1', port: 8080, allowMissingOrigin: true });
    expect(resolveGatewayTokens(cfg.gateway.tokens, {}).map((t) => [t.name, t.role, t.token])).toEqual([
      ['viewer', 'viewer', 'sextant-dev-viewer'],
      ['operator', 'operator', 'sextant-dev-operator'],
    ]);
    const env = { SEXTANT_VIEWER_TOKEN: 'v-secret', SEXTANT_OPERATOR_TOKEN: 'o-secret' };
    expect(resolveGatewayTokens(cfg.gateway.tokens, env).map((t) => t.token)).toEqual(['v-secret', 'o-secret']);
    // The metrics token has no default: unset, it is dropped (and /metrics stays open), never a dev default.
    expect(cfg.gateway.tokens.map((t) => usesDevDefault(t, {}))).toEqual([true, true, false]);
    expect(cfg.gateway.tokens.map((t) => usesDevDefault(t, env))).toEqual([false, false, false]);
    expect(resolveGatewayTokens(cfg.gateway.tokens, { ...env, SEXTANT_METRICS_TOKEN: 'm-secret' }).map((t) => [t.name, t.role, t.token])).toEqual([
      ['viewer', 'viewer', 'v-secret'],
      ['operator', 'operator', 'o-secret'],
      ['prometheus', 'metrics', 'm-secret'],
    ]);
  });

  it('drops a token whose variable is unset without a default, or empty', () => {
    const tokens = [
      { name: 'a', token: '${NOPE}', role: 'viewer' as const },
      { name: 'b', token: '${EMPTY:-x}', role: 'viewer' as const },
      { name: 'c', token: 'literal', role: 'operator' as const },
    ];
    expect(resolveGatewayTokens(tokens, { EMPTY: '' }).map((t) => t.name)).toEqual(['c']);
  });

  it('refuses a bad gateway section, naming the key', () => {
    expect(() => loadConfig({ env: {}, overrides: { gateway: { port: 70000 } } })).toThrow(/gateway\.port/);
    expect(() => loadConfig({ env: {}, overrides: { gateway: { tokens: [{ name: 'x', token: 't', role: 'admin' }] } } })).toThrow(/gateway\.tokens\.0\.role/);
  });

  it('takes the feed\'s duplicate-id window from gateway.recentIds, a positive integer (default 10 000)', () => {
    expect(loadConfig({ env: {} }).gateway.recentIds).toBe(10_000);
    expect(loadConfig({ env: {}, overrides: { gateway: { recentIds: 50 } } }).gateway.recentIds).toBe(50);
    expect(loadConfig({ env: { SEXTANT__gateway__recentIds: '2500' } }).gateway.recentIds).toBe(2500);
    for (const bad of [0, -1, 1.5, 'many']) expect(() => loadConfig({ env: {}, overrides: { gateway: { recentIds: bad } } })).toThrow(/gateway\.recentIds/);
  });

  it('limits failed authentications per address by gateway.authFailureLimit (default 20 within 60 s)', () => {
    expect(loadConfig({ env: {} }).gateway.authFailureLimit).toEqual({ maxFailures: 20, windowMs: 60_000 });
    expect(loadConfig({ env: { SEXTANT__gateway__authFailureLimit__maxFailures: '5' } }).gateway.authFailureLimit).toEqual({ maxFailures: 5, windowMs: 60_000 });
    for (const bad of [{ maxFailures: 0, windowMs: 1000 }, { maxFailures: 5, windowMs: 1000, extra: 1 }])
      expect(() => loadConfig({ env: {}, overrides: { gateway: { authFailureLimit: bad } } })).toThrow(/gateway\.authFailureLimit/);
  });

  it('labels subjects without unbounded tokens', () => {
    expect(subjectLabel('sx.md.binance.BTC-USDT.bar.1h')).toBe('sx.md.binance.BTC-USDT.bar.1h');
    expect(subjectLabel('sx.x.a.b.c.d.e.f')).toBe('sx.x.a.b.c.d.>');
    expect(subjectLabel(`sx.dlq.${'z'.repeat(80)}`)).toBe('sx.dlq.*');
  });
});
