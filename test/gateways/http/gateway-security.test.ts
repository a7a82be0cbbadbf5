import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayServer } from '../../../gateways/http/gateway-server.js';
import type { GatewayServer } from '../../../gateways/http/gateway-server.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createHub } from '../../../gateways/ws/hub.js';
import type { Hub } from '../../../gateways/ws/hub.js';
import type { Bus } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { NATS_URL, OPERATOR, testGatewayConfig, VIEWER } from '../ws/gateway-harness.js';
import { recordingLogger } from '../../support/recording-logger.js';
import type { LogLine } from '../../support/recording-logger.js';

describe('HTTP gateway against a hostile page or a low-privilege token (real NATS)', () => {
  const lines: LogLine[] = [];
  const staticDir = mkdtempSync(join(tmpdir(), 'sextant-gw-sec-'));
  let bus: Bus;
  let hub: Hub;
  let server: GatewayServer;
  beforeAll(async () => {
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>dash</title>');
    writeFileSync(join(staticDir, 'app.js'), 'export {};');
    bus = await createNatsBus({ url: NATS_URL, name: 'gateway-security-test', connectTimeoutMs: 3000 });
    const subjects = subjectsFor(`gs${randomBytes(5).toString('hex')}`);
    const config = testGatewayConfig({ staticDir });
    const log = recordingLogger(lines);
    hub = createHub({ bus, subjects, limits: config, heartbeatMs: config.heartbeatMs, log });
    server = await startGatewayServer({ config, hub, metrics: createEngineMetrics({ defaultMetrics: false }), probes: {}, bus, subjects, log, env: {} });
  });
  afterAll(async () => {
    hub.close();
    await server.close();
    await bus.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('serves the dashboard with headers that keep other sites from framing it and its ?token= address from leaking as a Referer', async () => {
    for (const path of [`/?token=${VIEWER}`, '/app.js']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
      expect(res.headers.get('content-security-policy')).toMatch(/(^|;\s*)script-src 'self'(;|$)/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('logs every control request it refuses (who, what, from where, why) and never the token', async () => {
    lines.length = 0;
    const post = (verb: string, headers: Record<string, string>): Promise<number> =>
      fetch(`${server.url}/api/ctl/${verb}`, { method: 'POST', headers, body: '{"reason":"x"}' }).then((r) => r.status);
    expect(await post('halt', {})).toBe(401);
    expect(await post('halt', { authorization: 'Bearer guessed-token' })).toBe(401);
    expect(await post('halt', { authorization: `Bearer ${VIEWER}` })).toBe(403);
    expect(await post('resume', { authorization: `Bearer ${OPERATOR}`, origin: 'http://evil.example' })).toBe(403);
    expect(await post('model.deploy', { authorization: `Bearer ${OPERATOR}` })).toBe(404);
    const refused = lines.filter((l) => l.msg === 'control request from the dashboard refused');
    expect(refused.map((l) => ({ level: l.level, ...l.fields }))).toEqual([
      expect.objectContaining({ level: 'warn', verb: 'halt', status: 401, why: 'no token', token: 'none', origin: null }),
      expect.objectContaining({ level: 'warn', verb: 'halt', status: 401, why: 'unknown token', token: 'unknown' }),
      expect.objectContaining({ level: 'warn', verb: 'halt', status: 403, why: 'role viewer', token: 'alice' }),
      expect.objectContaining({ level: 'warn', verb: 'resume', status: 403, why: 'origin not allowed', token: 'ops', origin: 'http://evil.example' }),
      expect.objectContaining({ level: 'warn', verb: 'model.deploy', status: 404, why: 'not a dashboard verb', token: 'ops' }),
    ]);
    for (const l of refused) expect(l.fields['remote']).toMatch(/127\.0\.0\.1/);
    const text = JSON.stringify(lines);
    for (const secret of [VIEWER, OPERATOR, 'guessed-token']) expect(text).not.toContain(secret);
  });
});
