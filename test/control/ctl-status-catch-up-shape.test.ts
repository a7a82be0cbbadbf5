import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { NATS_URL } from '../decision/engine-run.js';
import { ctlRunner } from '../support/ctl.js';
import { ctlInProcess } from '../support/ctl-in-process.js';

/**
 * `sextant ctl status` against a stand-in engine on real NATS whose status `result` is set per
 * test: ctl read `catchUp` by hand, so one of another shape (a `behindMs` sent as text, a
 * `catchingUp` that is no boolean) was printed as "far" behind or taken as not catching up, and the
 * command exited 0. It is now validated: such a reply is said on stderr and exits 1 (the JSON still
 * printed), while an older engine's catchUp (no `replay`) is read as before.
 */
describe('sextant ctl status: the shape of catchUp', () => {
  const prefix = `sxshape${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let bus: Bus;
  let result: unknown;
  // `sextant ctl status` run by the command's own code in this process (one to two seconds less a
  // run than a process); the first refusal, an exit code with stderr, in a real process.
  const ctl = ctlInProcess(NATS_URL, () => prefix);
  const ctlProcess = ctlRunner(NATS_URL, () => prefix);

  beforeAll(async () => {
    bus = await createNatsBus({ url: NATS_URL, name: 'ctl-status-shape-test', connectTimeoutMs: 3000 });
    bus.serve(subjectsFor(prefix).control('status'), (data) => {
      const { id } = JSON.parse(dec.decode(data)) as { id: string };
      return enc.encode(JSON.stringify({ v: 1, id, ok: true, result }));
    });
    await bus.flush();
  });
  afterAll(async () => {
    await bus.close();
  });

  it('says a catchUp it cannot read and exits 1, instead of misprinting it', async () => {
    result = { risk: { state: 'ACTIVE' }, catchUp: { catchingUp: true, behindMs: '5700000', asOf: Date.UTC(2024, 2, 4, 13) } };
    const r = await ctlProcess('status');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("sextant ctl: the engine's status has a catchUp this client does not understand (catchUp.behindMs:");
    expect(r.stderr).not.toContain('note:');

    result = { catchUp: { catchingUp: 'yes', behindMs: 5_700_000, asOf: null } };
    const flag = await ctl('status');
    expect(flag.status).toBe(1);
    expect(flag.stderr).toContain('catchUp.catchingUp:');
  });

  it("reads an older engine's catchUp (no replay) as a backlog, and no catchUp as none", async () => {
    result = { catchUp: { catchingUp: true, behindMs: 95 * 60_000, asOf: Date.UTC(2024, 2, 4, 13) } };
    const old = await ctl('status');
    expect(old.status, old.stderr).toBe(0);
    expect(old.out).toEqual(result);
    expect(old.stderr).toContain('sextant ctl: note: the engine is catching up on a backlog: deciding data from 95 min ago (up to 2024-03-04T13:00:00.000Z)');

    result = { risk: { state: 'ACTIVE' } };
    const none = await ctl('status');
    expect(none.status, none.stderr).toBe(0);
    expect(none.stderr).toBe('');
  });
});
