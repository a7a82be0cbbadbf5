import { resolve } from 'node:path';
import { envNamesOf } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createMemoryModelRegistry } from '../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../models/registry/model-registry.js';
import { createPgModelRegistry } from '../models/registry/pg-model-registry.js';
import type { AuditStore } from '../state/audit-store.js';
import type { Clock } from '../state/clock.js';
import { StoreBoundError } from '../state/errors.js';
import { createMemoryAuditStore } from '../state/memory-audit-store.js';
import { createMemoryRiskStore } from '../state/memory-risk-store.js';
import { createPgAuditStore } from '../state/pg-audit-store.js';
import { createPgRiskStore } from '../state/pg-risk-store.js';
import type { RiskStore } from '../state/risk-store.js';
import { createMemoryTrainingSampleStore } from '../state/memory-training-sample-store.js';
import { createPgTrainingSampleStore } from '../state/pg-training-sample-store.js';
import type { TrainingSampleStore } from '../state/training-sample-store.js';
import { subjectsFor } from '../streams/subjects.js';
import type { FeatureStore } from '../state/feature-store.js';
import type { Logger } from '../state/logger.js';
import { createMemoryFeatureStore } from '../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../state/memory-timeseries-store.js';
import { createPgTimeseriesStore } from '../state/pg-timeseries-store.js';
import { createRedisFeatureStore } from '../state/redis-feature-store.js';
import { withSnapshotArchive } from '../state/archived-feature-store.js';
import { createPgSnapshotArchive } from '../state/pg-snapshot-archive.js';
import type { TimeseriesStore } from '../state/timeseries-store.js';
import type { Bus } from '../streams/bus.js';
import { createMemoryBus } from '../streams/memory-bus.js';
import { createNatsBus } from '../streams/nats-bus.js';
import type { NatsBusOptions } from '../streams/nats-bus.js';
import type { PgTimeseriesStoreOptions } from '../state/pg-timeseries-store.js';
import type { RedisFeatureStoreOptions } from '../state/redis-feature-store.js';
import { natsBusOptions } from './nats-options.js';

/**
 * `e` with the config setting to change, and its environment forms, added to its message (its class,
 * and so whether to retry, kept): `…: connection refused (set nats.url in the config, or NATS_URL or
 * SEXTANT__nats__url)`. The shorthand (README's table) was left out: an operator who had set
 * `NATS_URL` was sent to two other places, and the environment wins over the config file.
 */
export function withSetting(e: unknown, setting: string): unknown {
  if (!(e instanceof Error)) return e;
  e.message = `${e.message} (set ${setting} in the config, or ${envNamesOf(setting).join(' or ')})`;
  return e;
}

/** The adapters one process runs on. The composition root is the only place that knows the mode. */
export type Adapters = Readonly<{
  bus: Bus;
  features: FeatureStore;
  timeseries: TimeseriesStore;
  /** Model registry, risk state and operator audit: on PostgreSQL with the timeseries, else in memory. */
  registry: ModelRegistry;
  riskStore: RiskStore;
  audit: AuditStore;
  /** Labeled training samples (and the labeling actor's pending horizons). */
  samples: TrainingSampleStore;
  /** Human-readable notices for every service that fell back to its in-process adapter. */
  fallbacks: readonly string[];
  close(): Promise<void>;
}>;

export type WiringMode = 'live' | 'embedded' | 'auto';

/** How the real services are connected: the adapters' own factories, stand-ins in tests. */
export type Connectors = Readonly<{
  nats(opts: NatsBusOptions): Promise<Bus>;
  redis(opts: RedisFeatureStoreOptions): Promise<FeatureStore>;
  postgres(opts: PgTimeseriesStoreOptions): Promise<TimeseriesStore>;
}>;

const realConnectors: Connectors = { nats: createNatsBus, redis: createRedisFeatureStore, postgres: createPgTimeseriesStore };

/**
 * Connects NATS, Redis and PostgreSQL. `live` fails when one is unreachable; `auto` falls back
 * to the in-process adapter for each unreachable service and says so; `embedded` uses only
 * in-process adapters. When a step fails, what was opened before it is closed, newest first, and
 * the error rethrown: a live start-up with PostgreSQL down used to leave its NATS and Redis
 * connections open (a command hung instead of exiting, a test process kept them).
 */
export async function connectAdapters(cfg: Config, mode: WiringMode, log: Logger, clock: Clock, connectors: Partial<Connectors> = {}): Promise<Adapters> {
  const connect: Connectors = { ...realConnectors, ...connectors };
  const opened: { name: string; close(): Promise<void> }[] = [];
  const open = <T extends { close(): Promise<void> }>(name: string, adapter: T): T => {
    opened.push({ name, close: () => adapter.close() });
    return adapter;
  };
  try {
    return await connectAll(cfg, mode, log, clock, connect, open);
  } catch (e) {
    for (const a of opened.reverse()) {
      await a.close().catch((err: unknown) => log.warn({ adapter: a.name, err: String(err) }, 'closing an adapter after a failed start-up failed'));
    }
    throw e;
  }
}

async function connectAll(
  cfg: Config,
  mode: WiringMode,
  log: Logger,
  clock: Clock,
  connect: Connectors,
  open: <T extends { close(): Promise<void> }>(name: string, adapter: T) => T,
): Promise<Adapters> {
  const fallbacks: string[] = [];
  const attempt = async <T>(service: string, setting: string, url: string, real: () => Promise<T>, memory: () => T): Promise<T> => {
    if (mode === 'embedded') return memory();
    try {
      return await real();
    } catch (e) {
      // `cannot connect to NATS at nats://…:4999: connection refused` did not say what to change.
      // A bound that passed (the migrations' on a server that answers nothing) names its own setting: the URL is fine.
      if (mode === 'live') throw withSetting(e, e instanceof StoreBoundError ? e.setting : setting);
      const notice = `${service} unreachable at ${url} (${(e as Error).message}); using the embedded in-process ${service} adapter instead`;
      log.warn({ service, url }, notice);
      fallbacks.push(notice);
      return memory();
    }
  };
  const bus = open(
    'bus',
    await attempt<Bus>(
      'NATS',
      'nats.url',
      natsBusOptions(cfg.nats, cfg.nats.name).display,
      () => connect.nats(natsBusOptions(cfg.nats, cfg.nats.name)),
      () => createMemoryBus(),
    ),
  );
  const fast = open(
    'features',
    await attempt<FeatureStore>(
      'Redis',
      'redis.url',
      cfg.redis.url,
      () => connect.redis({ url: cfg.redis.url, keyPrefix: cfg.redis.keyPrefix, historyCap: cfg.redis.historyCap }),
      () => createMemoryFeatureStore({ historyCap: cfg.redis.historyCap }),
    ),
  );
  // Every statement of the engine's stores bounded: a lock held elsewhere or a hung server fails a
  // write (retried, or the actor stops with the error) instead of stalling its actor for ever, and
  // a hung server at start-up fails the migrations instead of stalling the start.
  const pgTimeouts = { statementTimeoutMs: cfg.postgres.statementTimeoutMs, queryTimeoutMs: cfg.postgres.queryTimeoutMs, migrationTimeoutMs: cfg.postgres.migrationTimeoutMs };
  const timeseries = open(
    'timeseries',
    await attempt<TimeseriesStore>(
      'PostgreSQL',
      'postgres.url',
      cfg.postgres.url.replace(/\/\/[^@/]*@/, '//'),
      () => connect.postgres({ url: cfg.postgres.url, schema: cfg.postgres.schema, poolSize: cfg.postgres.poolSize, timescale: cfg.postgres.timescale, timeouts: pgTimeouts }),
      () => createMemoryTimeseriesStore(),
    ),
  );
  const subjects = subjectsFor(cfg.prefix);
  const onPg = timeseries.flavor !== 'memory';
  const pg = { url: cfg.postgres.url, schema: cfg.postgres.schema, timeouts: pgTimeouts };
  const registry = open(
    'registry',
    onPg ? await createPgModelRegistry({ ...pg, artifactDir: resolve(cfg.models.artifactDir, cfg.postgres.schema), bus, subjects, clock, log }) : createMemoryModelRegistry({ bus, subjects, clock }),
  );
  const riskStore = open('riskStore', onPg ? await createPgRiskStore(pg) : createMemoryRiskStore());
  const audit = open('audit', onPg ? await createPgAuditStore(pg) : createMemoryAuditStore());
  const samples = open('samples', onPg ? await createPgTrainingSampleStore(pg) : createMemoryTrainingSampleStore());
  // Actor snapshots also go to PostgreSQL now and then, for a Redis that comes back without them.
  const every = cfg.asset.snapshotArchiveEvery;
  const features =
    onPg && fast.kind === 'redis' && every !== undefined
      ? withSnapshotArchive(fast, await createPgSnapshotArchive(pg), {
          everyMessages: every,
          onError: (actor, e) => log.warn({ actor, err: String(e) }, 'copying a snapshot to PostgreSQL failed; the next one that is due tries again'),
        })
      : fast;
  return {
    bus,
    features,
    timeseries,
    registry,
    riskStore,
    audit,
    samples,
    fallbacks,
    close: async () => {
      await samples.close();
      await registry.close();
      await riskStore.close();
      await audit.close();
      await bus.close();
      await features.close();
      await timeseries.close();
    },
  };
}
