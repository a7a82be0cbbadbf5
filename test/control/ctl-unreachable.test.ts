import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NATS_URL } from '../decision/engine-run.js';
import { ctlRunner } from '../support/ctl.js';
import { ctlInProcess } from '../support/ctl-in-process.js';

/** A port nothing listens on: bound for a moment to learn a free one, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('sextant ctl when no engine can be reached', () => {
  it('exits 3 with the reason when no engine answers on the subject', async () => {
    const prefix = `sxctl${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    // The command's own code in this process (ctlInProcess: the exit status as process.exitCode),
    // one to two seconds less than a process; the exit 3 below is a real `sextant ctl` process's.
    const r = await ctlInProcess(NATS_URL, () => prefix)('status');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no responder.*is the engine running/);
  });

  it('exits 3, not 1, when NATS itself is unreachable, so a script can tell it from a refused command', async () => {
    const url = `nats://127.0.0.1:${await closedPort()}`;
    const r = await ctlRunner(url, () => 'sx')('halt', '--reason', 'exchange incident');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^sextant ctl: cannot connect to NATS at .*(is NATS running there)/);
  });
});
