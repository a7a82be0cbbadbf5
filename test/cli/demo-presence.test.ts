import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/commands/demo.js';
import { claimNamespace, EngineAlreadyRunningError } from '../../cli/engine-presence.js';
import { loadConfig } from '../../config/load.js';
import { silentLogger } from '../../state/logger.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { NATS_URL } from '../decision/engine-run.js';
import { dropSchema } from '../support/pg.js';

// Real NATS JetStream (and the demo's Redis and PostgreSQL); fails, never skips, when one is down.
describe('sextant demo in a namespace an engine already holds', () => {
  it('is refused before it resets anything: the holder keeps its streams', async () => {
    const ns = `qp${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    const prefix = `sx${ns}`;
    const cfg = loadConfig(); // as the demo reads it (DATABASE_URL …)
    const specs = streamSpecs({ ...cfg, prefix, streamNamePrefix: `${ns.toUpperCase()}_` }, { storage: 'memory' });
    const holder = await createNatsBus({ url: NATS_URL, name: 'demo-presence-holder', connectTimeoutMs: 3000 });
    try {
      await holder.ensureStreams(specs);
      const held = await claimNamespace(holder, subjectsFor(prefix), silentLogger);
      const run = runDemo({ symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 12), faults: false, namespace: ns });
      await expect(run).rejects.toBeInstanceOf(EngineAlreadyRunningError);
      await expect(run).rejects.toThrow(new RegExp(`another engine already answers on ${prefix}\\.engine\\.presence`));
      // Nothing of the holder's was deleted.
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        for (const s of specs) expect((await jsm.streams.info(s.name)).config.name).toBe(s.name);
      } finally {
        await nc.close();
      }
      held.unsubscribe();
    } finally {
      await holder.deleteStreams(specs.map((s) => s.name));
      await holder.close();
      // The demo's adapters migrate the namespace's schema before it is refused.
      await dropSchema(cfg.postgres.url, `sextant_${ns}`);
    }
  }, 60_000);
});
