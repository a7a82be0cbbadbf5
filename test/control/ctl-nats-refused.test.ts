import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctlRunner } from '../support/ctl.js';
import { ctlInProcess } from '../support/ctl-in-process.js';
import { stopNatsServer } from '../support/nats-server.js';
import { SHIPPED_NATS_PASSWORDS, startShippedNatsServer } from '../support/shipped-nats.js';

const PASSWORDS = SHIPPED_NATS_PASSWORDS;

/** README: ctl exits 1 for a refused command, 3 only when the engine is not reached (NATS down, no engine answering). */
describe('sextant ctl when NATS refuses its login or its command (deploy/nats/sextant.conf)', () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'sextant-ctl-refused-'));
  let server: ChildProcess | undefined;
  // A refused login is checked in a real `sextant ctl` process (its exit code and stderr); the
  // other refusals run the command's own code in this process (ctlInProcess: the same login, the
  // same exit status as process.exitCode), one to two seconds less each than a process.
  let ctlProcess: ReturnType<typeof ctlRunner>;
  let ctl: ReturnType<typeof ctlInProcess>;

  beforeAll(async () => {
    let url: string;
    ({ server, url } = await startShippedNatsServer(storeDir));
    ctlProcess = ctlRunner(url, () => 'sx');
    ctl = ctlInProcess(url, () => 'sx');
  });
  afterAll(async () => {
    if (server !== undefined) await stopNatsServer(server);
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('exits 1 with the NATS message for a wrong password: the credentials, not a down engine', async () => {
    const r = await ctlProcess('--user', 'operator', '--password', 'wrong', 'status');
    expect(r.stderr).toMatch(/authorization violation/i);
    expect(r.status).toBe(1);
  });

  it('exits 1 with the NATS message for a login that may not send control commands (desk)', async () => {
    const r = await ctl('--user', 'desk', '--password', PASSWORDS.SEXTANT_DESK_PASSWORD, 'halt', '--reason', 'test');
    expect(r.stderr).toMatch(/permissions violation/i);
    expect(r.status).toBe(1);
  });

  it('exits 1 saying the reply inbox was refused and which --inbox-prefix the operator reads, for an --inbox-prefix not the user\'s', async () => {
    const r = await ctl('--user', 'operator', '--password', PASSWORDS.SEXTANT_OPERATOR_PASSWORD, '--inbox-prefix', '_INBOX', 'status');
    expect(r.stderr).toMatch(/reply inbox "_INBOX\.\S+"/);
    expect(r.stderr).toMatch(/--inbox-prefix _INBOX;.*_INBOX_operator, the default/);
    expect(r.status).toBe(1);
  });
});
