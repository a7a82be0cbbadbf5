import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { Bus } from '../../streams/bus.js';
import { BusError, StreamRefusedError } from '../../streams/errors.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { stopNatsServer } from '../support/nats-server.js';
import { SHIPPED_NATS_PASSWORDS, startShippedNatsServer } from '../support/shipped-nats.js';

const PASSWORDS = SHIPPED_NATS_PASSWORDS;

/** `sextant run` (startEngine) under the desk's login failed at its first stream with nats.js's bare "Permissions Violation for Publish to …". */
describe('creating the streams under a login that may not (deploy/nats/sextant.conf on a real nats-server)', () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'sextant-nats-streamref-'));
  let server: ChildProcess | undefined;
  let url = '';
  const buses: Bus[] = [];
  const as = async (user: 'engine' | 'desk' | 'dashboard', pass: string, inboxPrefix = `_INBOX_${user}`): Promise<Bus> => {
    const b = await createNatsBus({ url, name: `streamref-${user}`, connectTimeoutMs: 3000, requestTimeoutMs: 2000, user, pass, inboxPrefix });
    buses.push(b);
    return b;
  };
  // The engine's own streams as `sextant run` provisions them, on names of this test's own.
  const specs = streamSpecs(loadConfig({}), { namePrefix: 'STREAMREF_', subjectPrefix: 'sx', storage: 'memory' });
  const refusal = async (bus: Bus): Promise<unknown> =>
    bus.ensureStreams(specs).then(
      () => undefined,
      (e: unknown) => e,
    );

  beforeAll(async () => {
    ({ server, url } = await startShippedNatsServer(storeDir));
  });
  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => {});
    if (server !== undefined) await stopNatsServer(server);
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('names the stream, the refused JetStream API subject, the user, and says to run the engine as the engine user; not retryable', async () => {
    for (const user of ['desk', 'dashboard'] as const) {
      const e = await refusal(await as(user, user === 'desk' ? PASSWORDS.SEXTANT_DESK_PASSWORD : PASSWORDS.SEXTANT_DASHBOARD_PASSWORD));
      expect(e, user).toBeInstanceOf(StreamRefusedError);
      const r = e as StreamRefusedError;
      expect([r.stream, r.subject, r.user, r.retryable]).toEqual(['STREAMREF_MD', '$JS.API.STREAM.CREATE.STREAMREF_MD', user, false]);
      expect(r.message).toMatch(new RegExp(`^NATS refused NATS user "${user}" the creation of JetStream stream STREAMREF_MD \\(Permissions Violation for Publish to "\\$JS\\.API\\.STREAM\\.CREATE\\.STREAMREF_MD"\\)`));
      expect(r.message).toMatch(/run them as the engine user .*nats\.user: engine/);
    }
  });

  it('says the same once the engine has created the streams (an update is refused alike), and the engine login creates and updates them', async () => {
    const engine = await as('engine', PASSWORDS.SEXTANT_ENGINE_PASSWORD);
    try {
      await engine.ensureStreams(specs);
      await engine.ensureStreams(specs);
      const e = await refusal(await as('desk', PASSWORDS.SEXTANT_DESK_PASSWORD));
      expect(e).toBeInstanceOf(StreamRefusedError);
      expect((e as Error).message).toMatch(/^NATS refused NATS user "desk" the creation of JetStream stream STREAMREF_MD .*engine user/);
    } finally {
      await engine.deleteStreams(specs.map((s) => s.name));
    }
  });

  it("says which inbox prefix when the desk is left on the engine's (config nats.inboxPrefix _INBOX_engine), before any stream", async () => {
    const e = await refusal(await as('desk', PASSWORDS.SEXTANT_DESK_PASSWORD, '_INBOX_engine'));
    expect(e).toBeInstanceOf(BusError);
    expect((e as BusError).retryable).toBe(false);
    expect((e as Error).message).toMatch(/^cannot reach JetStream to create the streams: NATS refused the subscription to this connection's reply inbox "_INBOX_engine\.\S+".*_INBOX_engine for the engine/);
  });
});
