import { randomBytes } from 'node:crypto';
import { Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayServer } from '../../../gateways/http/gateway-server.js';
import type { GatewayServer } from '../../../gateways/http/gateway-server.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createHub } from '../../../gateways/ws/hub.js';
import type { Hub } from '../../../gateways/ws/hub.js';
import type { Bus } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { NATS_URL, testGatewayConfig, VIEWER } from '../ws/gateway-harness.js';
import { recordingLogger } from '../../support/recording-logger.js';
import type { LogLine } from '../../support/recording-logger.js';

describe('HTTP gateway: a failed request is logged without its token (real NATS)', () => {
  const lines: LogLine[] = [];
  let bus: Bus;
  let hub: Hub;
  let server: GatewayServer;
  beforeAll(async () => {
    bus = await createNatsBus({ url: NATS_URL, name: 'gateway-log-test', connectTimeoutMs: 3000 });
    const subjects = subjectsFor(`gl${randomBytes(5).toString('hex')}`);
    const config = testGatewayConfig();
    const metrics = createEngineMetrics({ defaultMetrics: false });
    // A collector that fails: GET /metrics then fails inside the route.
    new Gauge({ name: 'sextant_test_broken', help: 'fails to collect', registers: [metrics.registry], collect: () => Promise.reject(new Error('collector down')) });
    const log = recordingLogger(lines);
    hub = createHub({ bus, subjects, limits: config, heartbeatMs: config.heartbeatMs, log });
    server = await startGatewayServer({ config, hub, metrics, probes: {}, bus, subjects, log, env: {} });
  });
  afterAll(async () => {
    hub.close();
    await server.close();
    await bus.close();
  });

  it('answers 500 and logs the path, never the ?token= of the URL', async () => {
    const res = await fetch(`${server.url}/metrics?token=${VIEWER}&x=1`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error' });
    const failed = lines.filter((l) => l.msg === 'request failed');
    expect(failed).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(VIEWER);
    expect(failed[0]).toMatchObject({ level: 'error', fields: { err: 'collector down', path: '/metrics', method: 'GET' } });
  });
});
