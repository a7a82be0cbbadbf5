import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { connectAdapters } from '../../cli/wiring.js';
import { loadConfig } from '../../config/load.js';
import { createPgModelRegistry } from '../../models/registry/pg-model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { startStallProxy } from '../support/pg-stall-proxy.js';
import type { StallProxy } from '../support/pg-stall-proxy.js';
import { timed } from '../support/timed.js';
import { newModel, onnxBytes, T0 } from './model-registry.fixtures.js';
import { sample } from './training-sample-store.contract.js';

// Real PostgreSQL (a proxy in front of it plays the hung server); NATS and Redis real for the
// engine's wiring. Fails (never skips) when they are not reachable. Schemas and directory of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const tag = randomUUID().replaceAll('-', '').slice(0, 12);
const hungSchema = `sx_hung_${tag}`;
const lockSchema = `sx_lockto_${tag}`;
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sx-pg-timeouts-'));
});
afterAll(async () => {
  await dropSchema(url, hungSchema);
  await dropSchema(url, lockSchema);
  await rm(dir, { recursive: true, force: true });
});

const bar = (i: number): Bar => ({
  type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', 1_640_995_200_000 + i * 3_600_000), venue: 'binance', symbol: 'BTC/USDT', tf: '1h',
  open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, ts: 1_640_995_200_000 + i * 3_600_000,
});

// The engine's stores had no bound on a query: a PostgreSQL server that accepts connections and
// then stops answering (hung, or a network path that drops packets) left a risk-book write, a
// recorder insert, a labeling commit, an audit record or a registry change waiting for ever, and
// its actor with it. `postgres.queryTimeoutMs` now gives each up: a retryable StoreError saying
// so, the connection dropped, nothing reported stored; once the server answers again the next
// write goes through.
describe('a PostgreSQL server that stops answering fails the engine stores\' queries within postgres.queryTimeoutMs', () => {
  let proxy: StallProxy;
  beforeAll(async () => {
    proxy = await startStallProxy(url);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('risk, audit, training-sample, timeseries and registry stores as the engine wires them', async () => {
    const file = join(dir, 'hung.yaml');
    await writeFile(
      file,
      [
        `prefix: sxhung${tag.slice(0, 6)}`,
        `streamNamePrefix: SXHUNG_`,
        `nats:\n  url: ${NATS_URL}`,
        `redis:\n  url: ${REDIS_URL}\n  keyPrefix: sxhung${tag}`,
        `postgres:\n  url: ${proxy.url}\n  schema: ${hungSchema}\n  poolSize: 2\n  statementTimeoutMs: 500\n  queryTimeoutMs: 1500`,
        `models:\n  artifactDir: ${join(dir, 'models')}`,
        '',
      ].join('\n'),
    );
    const a = await connectAdapters(loadConfig({ file }), 'live', createLogger('silent'), createLiveClock());
    try {
      expect(a.timeseries.flavor).not.toBe('memory');
      const entry = { requestId: 'r1', operator: 'ops', verb: 'halt', args: null, outcome: 'ok' as const, detail: null, at: T0 };
      const writes = {
        risk: () => a.riskStore.saveBook('acc', { positions: {} }, T0),
        riskRead: () => a.riskStore.load('acc'),
        audit: () => a.audit.record(entry),
        samples: () => a.samples.commit({ samples: [sample(1)] }),
        timeseries: () => a.timeseries.insert({ bars: [bar(1)] }),
        registry: () => a.registry.list(),
      };
      // Each pool holds a connection opened before the server stops answering, as a running engine's do.
      for (const w of Object.values(writes)) await w();
      proxy.stall();
      const outcomes = await Promise.all(Object.entries(writes).map(async ([name, w]) => ({ name, ...(await timed(w(), 10_000)) })));
      for (const o of outcomes) {
        expect(o.error, o.name).toMatchObject({ name: 'StoreError', retryable: true });
        expect((o.error as Error).message, o.name).toMatch(/no answer from PostgreSQL within postgres\.queryTimeoutMs/);
        // One timeout, not two: no ROLLBACK is sent behind a query that never got its answer.
        expect(o.ms, o.name).toBeLessThan(2_900);
      }
      proxy.resume();
      // The stalled connections were dropped: the next writes get fresh ones and are stored.
      await a.riskStore.saveBook('acc', { positions: {}, n: 2 }, T0 + 1);
      expect((await a.riskStore.load('acc')).book).toEqual({ positions: {}, n: 2 });
      await a.audit.record({ ...entry, requestId: 'r2' });
      expect((await a.audit.recent(5)).map((e) => e.requestId)).toContain('r2');
      expect(await a.samples.commit({ samples: [sample(2)] })).toBe(1);
      expect(await a.timeseries.insert({ bars: [bar(2)] })).toMatchObject({ bars: 1 });
      await a.registry.list();
    } finally {
      proxy.resume();
      proxy.drop(); // a query still waiting (the bound not applied) would hold the pools' close for ever
      await a.close();
    }
  });
});

// Only the control commands' risk writes and the audit trail were bounded: a decision-path book
// write, a recorder insert, a labeling commit or a registry change behind a lock another session
// held (a long migration, an operator's LOCK TABLE, a stuck transaction) waited as long as the lock
// was held. `postgres.statementTimeoutMs` is now the sessions' lock_timeout and statement_timeout.
describe('a write behind a lock another session holds fails within postgres.statementTimeoutMs', () => {
  const timeouts = { statementTimeoutMs: 300, queryTimeoutMs: 5_000 };
  let locker: pg.Client;
  beforeAll(async () => {
    locker = new pg.Client({ connectionString: url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker.end();
  });

  /** Runs `write` while `lock` is held in another session; the lock is let go before returning. */
  async function behindLock(lock: string, write: () => Promise<unknown>): Promise<Readonly<{ error: unknown; ms: number }>> {
    await locker.query('BEGIN');
    try {
      await locker.query(lock);
      return await timed(write(), 4_000);
    } finally {
      await locker.query('ROLLBACK');
    }
  }
  const expectLockTimeout = (o: Readonly<{ error: unknown; ms: number }>): void => {
    expect(o.error).toMatchObject({ name: 'StoreError', retryable: true });
    expect((o.error as Error).message).toMatch(/canceling statement due to (lock|statement) timeout/);
    expect(o.ms).toBeLessThan(2_000);
  };

  it('risk store: a book write (the decision path\'s) and a read', async () => {
    const store = await createPgRiskStore({ url, schema: lockSchema, timeouts });
    try {
      await store.saveBook('acc', { n: 1 }, T0);
      expectLockTimeout(await behindLock(`SELECT 1 FROM ${lockSchema}.risk_book WHERE account = 'acc' FOR UPDATE`, () => store.saveBook('acc', { n: 2 }, T0 + 1)));
      expectLockTimeout(await behindLock(`LOCK TABLE ${lockSchema}.risk_book IN ACCESS EXCLUSIVE MODE`, () => store.load('acc')));
      expect((await store.load('acc')).book).toEqual({ n: 1 }); // the write that failed stored nothing
      await store.saveBook('acc', { n: 2 }, T0 + 1);
      expect((await store.load('acc')).book).toEqual({ n: 2 });
    } finally {
      await store.close();
    }
  });

  it('training-sample store (commit)', async () => {
    const store = await createPgTrainingSampleStore({ url, schema: lockSchema, timeouts });
    try {
      expectLockTimeout(await behindLock(`LOCK TABLE ${lockSchema}.training_samples IN ACCESS EXCLUSIVE MODE`, () => store.commit({ samples: [sample(1)] })));
      expect(await store.count()).toBe(0);
      expect(await store.commit({ samples: [sample(1)] })).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('timeseries store (insert)', async () => {
    const store = await createPgTimeseriesStore({ url, schema: lockSchema, poolSize: 1, timeouts });
    try {
      expectLockTimeout(await behindLock(`LOCK TABLE ${lockSchema}.bars IN ACCESS EXCLUSIVE MODE`, () => store.insert({ bars: [bar(1)] })));
      expect(await store.insert({ bars: [bar(1)] })).toMatchObject({ bars: 1 });
    } finally {
      await store.close();
    }
  });

  it('model registry (a registration waiting for the model\'s lock)', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sxlockto');
    await bus.ensureStreams([{ name: 'MODELS_LOCKTO', subjects: [subjects.model('*', '*')], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const reg = await createPgModelRegistry({ url, schema: lockSchema, artifactDir: join(dir, 'reg'), bus, subjects, clock: createSimulatedClock(T0), poolSize: 1, timeouts });
    try {
      expectLockTimeout(await behindLock(`SELECT pg_advisory_xact_lock(hashtext('sextant-model-registry:${lockSchema}:lockto'))`, () => reg.register(newModel('lockto'), onnxBytes(1))));
      expect(await reg.list('lockto')).toEqual([]);
      expect(await reg.register(newModel('lockto'), onnxBytes(1))).toMatchObject({ name: 'lockto', version: 1 });
    } finally {
      await reg.close();
      await bus.close();
    }
  });
});
