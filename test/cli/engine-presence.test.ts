import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimNamespace, EngineAlreadyRunningError } from '../../cli/engine-presence.js';
import { silentLogger } from '../../state/logger.js';
import { EngineIdentitySchema } from '../../streams/messages/engine-presence.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { NATS_URL } from '../decision/engine-run.js';

describe('one engine per namespace (sextant run)', () => {
  it('refuses a second engine on the same prefix, naming the first, and lets one start once the first is gone', async () => {
    const bus = createMemoryBus();
    const first = await claimNamespace(bus, subjectsFor('sxa'), silentLogger, () => Date.UTC(2026, 0, 2));
    const second = claimNamespace(bus, subjectsFor('sxa'), silentLogger);
    await expect(second).rejects.toBeInstanceOf(EngineAlreadyRunningError);
    await expect(second).rejects.toThrow(new RegExp(`another engine already answers on sxa\\.engine\\.presence \\(pid ${process.pid} on .+, started 2026-01-02T00:00:00\\.000Z\\)`));
    // Another prefix is another namespace.
    const other = await claimNamespace(bus, subjectsFor('sxb'), silentLogger);
    first.unsubscribe();
    const again = await claimNamespace(bus, subjectsFor('sxa'), silentLogger);
    again.unsubscribe();
    other.unsubscribe();
  });

  it('answers with the EngineIdentity of docs/asyncapi.yaml (channel enginePresence)', async () => {
    const bus = createMemoryBus();
    const held = await claimNamespace(bus, subjectsFor('sxc'), silentLogger, () => Date.UTC(2026, 0, 2));
    const reply = JSON.parse(new TextDecoder().decode(await bus.request(subjectsFor('sxc').enginePresence(), new TextEncoder().encode('{}'), 1000))) as unknown;
    expect(EngineIdentitySchema.parse(reply)).toEqual({ pid: process.pid, host: expect.any(String), startedAt: Date.UTC(2026, 0, 2) });
    held.unsubscribe();
  });

  it('holds from the moment it is returned: a probe on another connection right after is refused, every time', async () => {
    // The serving subscription reached the server only with the connection's next write, so a
    // probe sent right after the claim often found no responder (CI saw it on a loaded host).
    const a = await createNatsBus({ url: NATS_URL, name: 'presence-race-a', connectTimeoutMs: 3000 });
    const b = await createNatsBus({ url: NATS_URL, name: 'presence-race-b', connectTimeoutMs: 3000 });
    try {
      let claimedTwice = 0;
      for (let i = 0; i < 30; i++) {
        const prefix = `sxq${randomUUID().replaceAll('-', '').slice(0, 8)}`;
        const held = await claimNamespace(a, subjectsFor(prefix), silentLogger);
        try {
          (await claimNamespace(b, subjectsFor(prefix), silentLogger)).unsubscribe();
          claimedTwice++;
        } catch (e) {
          expect(e).toBeInstanceOf(EngineAlreadyRunningError);
        }
        held.unsubscribe();
      }
      expect(claimedTwice).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('does so across two connections to a real NATS server', async () => {
    const prefix = `sxp${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    const a = await createNatsBus({ url: NATS_URL, name: 'presence-a', connectTimeoutMs: 3000 });
    const b = await createNatsBus({ url: NATS_URL, name: 'presence-b', connectTimeoutMs: 3000 });
    try {
      const held = await claimNamespace(a, subjectsFor(prefix), silentLogger);
      await expect(claimNamespace(b, subjectsFor(prefix), silentLogger)).rejects.toBeInstanceOf(EngineAlreadyRunningError);
      held.unsubscribe();
      await a.close();
      (await claimNamespace(b, subjectsFor(prefix), silentLogger)).unsubscribe();
    } finally {
      await b.close();
    }
  });
});
