import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { createPgModelRegistry } from '../models/registry/pg-model-registry.js';
import type { ModelRegistry } from '../models/registry/model-registry.js';
import { createLiveClock } from '../state/clocks/live-clock.js';
import { createNatsBus } from '../streams/nats-bus.js';
import { natsBusOptions } from './nats-options.js';
import { streamSpecs } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';

/**
 * The model registry of a configuration, for commands that run outside the engine (`train`):
 * PostgreSQL tables in the configured schema, artifacts under `models.artifactDir`, events on
 * NATS (the streams are provisioned first, so announcements land). Closing it closes its bus.
 */
export async function openPgRegistry(cfg: Config): Promise<ModelRegistry> {
  const bus = await createNatsBus(natsBusOptions(cfg.nats, `${cfg.nats.name}-registry`));
  try {
    await bus.ensureStreams(streamSpecs(cfg));
    const registry = await createPgModelRegistry({
      url: cfg.postgres.url,
      schema: cfg.postgres.schema,
      artifactDir: resolve(cfg.models.artifactDir, cfg.postgres.schema),
      bus,
      subjects: subjectsFor(cfg.prefix),
      clock: createLiveClock(),
    });
    return {
      ...registry,
      close: async () => {
        await registry.close();
        await bus.close();
      },
    };
  } catch (e) {
    await bus.close();
    throw e;
  }
}
