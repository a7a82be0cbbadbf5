import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { brokerText, environOf, listenerPid, localBroker } from '../../bench/broker-process.js';

describe('broker-process (Linux /proc)', () => {
  it('finds the process listening on a port, and none for a port nothing listens on', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      expect(listenerPid(port)).toBe(process.pid);
      const b = localBroker(`nats://127.0.0.1:${port}`);
      expect(b?.pid).toBe(process.pid);
      expect(b?.comm).toMatch(/node|vitest/);
      expect(localBroker(`localhost:${port}`)?.pid).toBe(process.pid);
      // The same port on another host is not this process.
      expect(localBroker(`nats://203.0.113.9:${port}`)).toBeUndefined();
      expect(localBroker('nats://a:1,nats://b:2')).toBeUndefined();
    } finally {
      server.close();
      await once(server, 'close');
    }
    expect(listenerPid(port)).toBeUndefined();
    expect(localBroker(`nats://127.0.0.1:${port}`)).toBeUndefined();
  });

  it("reads another process's environment as it was started", async () => {
    // Read once the child runs its own code: right after 'spawn' it may not have exec'd yet, and
    // /proc then still shows the environment it forked with (seen once in CI).
    const child = spawn(process.execPath, ['-e', "process.stdout.write('up'); setTimeout(() => {}, 10000)"], { env: { ...process.env, GOMAXPROCS: '3' }, stdio: ['ignore', 'pipe', 'ignore'] });
    await once(child.stdout, 'data');
    try {
      expect(environOf(child.pid as number, 'GOMAXPROCS')).toBe('3');
      expect(environOf(child.pid as number, 'SEXTANT_NO_SUCH_VARIABLE')).toBeUndefined();
    } finally {
      child.kill();
      await once(child, 'exit');
    }
    expect(environOf(2 ** 30, 'GOMAXPROCS')).toBeUndefined();
  });

  it('describes the broker for a bench header', () => {
    expect(brokerText({ pid: 12, comm: 'nats-server', gomaxprocs: '1' }, 2)).toBe('broker nats-server pid 12, GOMAXPROCS 1');
    expect(brokerText({ pid: 12, comm: 'nats-server', gomaxprocs: undefined }, 2)).toBe('broker nats-server pid 12, GOMAXPROCS unset (all 2 cores)');
    expect(brokerText(undefined, 2)).toMatch(/not found/);
  });

  it('finds the nats-server the tests run against', () => {
    const b = localBroker(process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222');
    expect(b?.comm).toBe('nats-server');
  });
});
