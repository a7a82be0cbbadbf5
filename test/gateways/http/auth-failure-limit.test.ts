import { afterEach, describe, expect, it } from 'vitest';
import { createAuthFailureLimiter } from '../../../gateways/http/auth-failure-limiter.js';
import { clientAddressKey } from '../../../gateways/http/client-address-key.js';
import type { GatewayConfig } from '../../../gateways/http/gateway-config.js';
import { startGatewayServer } from '../../../gateways/http/gateway-server.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createHub } from '../../../gateways/ws/hub.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { OPERATOR, rawUpgrade, testGatewayConfig, VIEWER } from '../ws/gateway-harness.js';
import { recordingLogger } from '../../support/recording-logger.js';
import type { LogLine } from '../../support/recording-logger.js';
import { parsePromText, sampleValue } from './prom-text.js';

const LOCKOUT = 'too many failed authentications from one address: its further failures are answered 429, unlogged, until the window ends (a valid token still passes)';
const lockouts = (lines: readonly LogLine[]): LogLine[] => lines.filter((l) => l.msg === LOCKOUT);

describe('failed-authentication limiter (injected clock)', () => {
  it('locks an address out after maxFailures in a window, until the window ends, logging once with the count', () => {
    let t = 1_000;
    const lines: LogLine[] = [];
    const rl = createAuthFailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => t, log: recordingLogger(lines) });
    expect(rl.failed('10.0.0.1', 'control')).toBe(0);
    t += 10_000;
    expect(rl.failed('10.0.0.1', 'feed')).toBe(0);
    // The third failure locks it out (it is still answered 401: 0); the next ones are locked out.
    expect(rl.failed('10.0.0.1', 'control')).toBe(0);
    expect(rl.failed('10.0.0.1', 'control')).toBe(50_000);
    expect(rl.failed('10.0.0.2', 'control')).toBe(0);
    // More failures while locked log nothing more.
    for (let i = 0; i < 100; i++) rl.failed('10.0.0.1', 'feed');
    expect(lockouts(lines).map((l) => l.fields)).toEqual([{ remote: '10.0.0.1', where: 'control', failures: 3, windowMs: 60_000, retryAfterMs: 50_000 }]);
    t = 1_000 + 60_000;
    // The next window's lockout says how many failures the last one refused (101 while locked above).
    for (let i = 0; i < 3; i++) expect(rl.failed('10.0.0.1', 'feed')).toBe(0);
    expect(lockouts(lines)[1]?.fields).toMatchObject({ remote: '10.0.0.1', where: 'feed', failures: 3, refusedInLastLockout: 101 });
  });

  it('counts an IPv6 client per /64 (a fresh address of its prefix is the same client), an IPv4-mapped one as its IPv4 address, IPv4 per address', () => {
    const lines: LogLine[] = [];
    const rl = createAuthFailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => 0, log: recordingLogger(lines) });
    // Three addresses of one /64: the third locks the prefix out, a fourth address of it is refused.
    expect(['2001:db8:1:2::a', '2001:db8:1:2:ffff::1', '2001:DB8:1:2:0:0:0:b'].map((a) => rl.failed(a, 'control'))).toEqual([0, 0, 0]);
    expect(rl.failed('2001:db8:1:2:dead:beef:0:1', 'control')).toBe(60_000);
    // The next /64 is another client.
    expect(rl.failed('2001:db8:1:3::a', 'control')).toBe(0);
    expect(lockouts(lines).map((l) => l.fields['remote'])).toEqual(['2001:db8:1:2::/64']);
    // ::ffff:10.0.0.7 is 10.0.0.7: its failures count together, whichever way the socket gave it.
    expect([rl.failed('10.0.0.7', 'feed'), rl.failed('::ffff:10.0.0.7', 'feed'), rl.failed('::ffff:0a00:0007', 'feed')]).toEqual([0, 0, 0]);
    expect(rl.failed('10.0.0.7', 'feed')).toBe(60_000);
    // IPv4 stays per address: its neighbour is not locked out.
    expect(rl.failed('10.0.0.8', 'feed')).toBe(0);
    expect(lockouts(lines).map((l) => l.fields['remote'])).toEqual(['2001:db8:1:2::/64', '10.0.0.7']);
  });

  it('keys addresses: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64 however written, anything else as is', () => {
    const keys: Array<[string, string]> = [
      ['192.0.2.1', '192.0.2.1'],
      ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::FFFF:c000:0201', '192.0.2.1'],
      ['2001:db8:1:2:a:b:c:d', '2001:db8:1:2::/64'],
      ['2001:0db8:0001:0002::', '2001:db8:1:2::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
      ['unknown', 'unknown'],
    ];
    for (const [address, key] of keys) expect(clientAddressKey(address), address).toBe(key);
  });

  it('forgets the oldest addresses past maxAddresses', () => {
    let t = 0;
    const rl = createAuthFailureLimiter({ maxFailures: 1, windowMs: 1_000, now: () => t, log: recordingLogger([]), maxAddresses: 2 });
    rl.failed('a', 'control');
    t = 1;
    rl.failed('b', 'control');
    t = 2;
    rl.failed('c', 'control');
    // b and c are locked; a was forgotten (a fresh window: its failure is not locked out).
    expect([rl.failed('b', 'control'), rl.failed('c', 'control'), rl.failed('a', 'control')]).toEqual([999, 1000, 0]);
  });
});

describe('gateway answers 429 to an address with too many failed authentications', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const start = async (over: Partial<GatewayConfig>, lines: LogLine[], now: () => number): Promise<string> => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('afl');
    const config = testGatewayConfig(over);
    const log = recordingLogger(lines);
    const hub = createHub({ bus, subjects, limits: config, heartbeatMs: config.heartbeatMs, log });
    const server = await startGatewayServer({ config, hub, metrics: createEngineMetrics({ defaultMetrics: false }), probes: {}, bus, subjects, log, env: {}, now });
    cleanup.push(() => bus.close(), () => hub.close(), () => server.close());
    return server.url;
  };
  const post = (url: string, token?: string, verb = 'halt'): Promise<Response> =>
    fetch(`${url}/api/ctl/${verb}`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, body: '{"reason":"x"}' });

  it('on /api/ctl: 401 for each guess up to the limit, then 429 until the window ends, while a valid token still passes; one lockout line', async () => {
    let t = 5_000;
    const lines: LogLine[] = [];
    const url = await start({ authFailureLimit: { maxFailures: 3, windowMs: 30_000 } }, lines, () => t);
    expect((await post(url, 'guess-1')).status).toBe(401);
    expect((await post(url)).status).toBe(401);
    expect((await post(url, 'guess-3')).status).toBe(401);
    for (let i = 0; i < 20; i++) expect((await post(url, `guess-more-${i}`)).status).toBe(429);
    const locked = await post(url, 'guess-last');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('30');
    const ws = await rawUpgrade(`${url.replace('http:', 'ws:')}/ws?token=nope`);
    if (ws.upgraded) ws.socket.destroy();
    expect(ws.upgraded ? 101 : ws.status).toBe(429);
    expect((await fetch(`${url}/ws?token=nope`)).status).toBe(429);
    // Someone else's guesses from the same address (a reverse proxy) do not keep the operators out:
    // a valid token is checked as ever, an operator's halt goes through to the engine (503: none here).
    expect((await post(url, VIEWER)).status).toBe(403);
    expect((await post(url, OPERATOR)).status).toBe(503);
    const good = await rawUpgrade(`${url.replace('http:', 'ws:')}/ws?token=${VIEWER}`);
    if (good.upgraded) good.socket.destroy();
    expect(good.upgraded ? 101 : good.status).toBe(101);
    expect((await fetch(`${url}/ws?token=${VIEWER}`)).status).toBe(426);
    // One line per guess up to the limit, one for the lockout, none for the 429s.
    expect(lines.filter((l) => l.msg === 'control request from the dashboard refused' && l.fields['status'] === 401)).toHaveLength(3);
    expect(lockouts(lines)).toHaveLength(1);
    expect(lockouts(lines)[0]?.fields).toMatchObject({ where: 'control', failures: 3, windowMs: 30_000, retryAfterMs: 30_000 });
    expect(String(lockouts(lines)[0]?.fields['remote'])).toMatch(/127\.0\.0\.1/);
    t += 30_000;
    // The window over, a guess is answered 401 again.
    expect((await post(url, 'guess-after')).status).toBe(401);
  });

  it('counts refused websocket upgrades and GET /ws, and a guarded /metrics', async () => {
    let t = 0;
    const lines: LogLine[] = [];
    const tokens = [...testGatewayConfig().tokens, { name: 'prometheus', role: 'metrics' as const, token: 'scrape-token' }];
    const url = await start({ tokens, authFailureLimit: { maxFailures: 3, windowMs: 10_000 } }, lines, () => t);
    const up = await rawUpgrade(`${url.replace('http:', 'ws:')}/ws?token=nope`);
    expect(up.upgraded ? 101 : up.status).toBe(401);
    expect((await fetch(`${url}/ws?token=nope`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const scrape = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(scrape.status).toBe(429);
    expect(scrape.headers.get('retry-after')).toBe('10');
    expect((await post(url, 'guess')).status).toBe(429);
    expect(lockouts(lines).map((l) => l.fields['where'])).toEqual(['metrics']);
    // The scrape with its token goes on meanwhile.
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-token' } })).status).toBe(200);
    t = 10_000;
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('counts failures and lockouts on /metrics (sextant_gateway_auth_failures_total, sextant_gateway_auth_lockouts_total) by where', async () => {
    const lines: LogLine[] = [];
    const url = await start({ authFailureLimit: { maxFailures: 2, windowMs: 60_000 } }, lines, () => 0);
    const counts = async (): Promise<Array<number | undefined>> => {
      const samples = parsePromText(await (await fetch(`${url}/metrics`)).text());
      return ['control', 'feed'].flatMap((where) => [sampleValue(samples, 'sextant_gateway_auth_failures_total', { where }), sampleValue(samples, 'sextant_gateway_auth_lockouts_total', { where })]);
    };
    expect(await counts()).toEqual([undefined, undefined, undefined, undefined]);
    expect((await post(url, 'guess-1')).status).toBe(401);
    expect(await counts()).toEqual([1, undefined, undefined, undefined]);
    expect((await post(url, 'guess-2')).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await post(url, `guess-more-${i}`)).status).toBe(429);
    expect((await fetch(`${url}/ws?token=nope`)).status).toBe(429);
    // One lockout (the second failure), every refused token counted, the 429s too.
    expect(await counts()).toEqual([5, 1, 1, undefined]);
    expect(lockouts(lines)).toHaveLength(1);
  });

  it('leaves /metrics open (and uncounted) with no metrics token, and /healthz always', async () => {
    const lines: LogLine[] = [];
    const url = await start({ authFailureLimit: { maxFailures: 1, windowMs: 60_000 } }, lines, () => 0);
    expect((await post(url, 'guess')).status).toBe(401);
    expect((await post(url, 'guess-2')).status).toBe(429);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
