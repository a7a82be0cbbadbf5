import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgModelRegistry } from '../../models/registry/pg-model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { newModel, onnxBytes, T0 } from './model-registry.fixtures.js';
import { sample } from './training-sample-store.contract.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas and directory of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_term_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let artifactDir = '';
let admin: pg.Client;
let locker: pg.Client;
beforeAll(async () => {
  artifactDir = await mkdtemp(join(tmpdir(), 'sx-term-'));
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  locker = new pg.Client({ connectionString: url });
  await locker.connect();
});
afterAll(async () => {
  await locker.end();
  await admin.end();
  await dropSchema(url, schema);
  await rm(artifactDir, { recursive: true, force: true });
});

/**
 * Holds `lock` in another session, starts `write`, and once the write's backend waits behind that
 * session, ends the backend as PostgreSQL does at a restart, a failover or an administrator's
 * pg_terminate_backend. Resolves with how the write ended.
 */
async function terminatedMidWrite(lock: string, write: () => Promise<unknown>): Promise<unknown> {
  await locker.query('BEGIN');
  await locker.query(lock);
  const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  const ended = write().then(
    () => undefined,
    (e: unknown) => e,
  );
  let victim: number | undefined;
  for (let i = 0; i < 200 && victim === undefined; i++) {
    victim = (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [lockerPid])).rows[0]?.pid;
    if (victim === undefined) await new Promise((r) => setTimeout(r, 25));
  }
  expect(victim).toBeDefined();
  expect((await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [victim])).rows[0]?.ok).toBe(true);
  const outcome = await ended;
  await locker.query('ROLLBACK');
  // The socket's end reaches the client after the query's error: give it the time to be emitted.
  await new Promise((r) => setTimeout(r, 100));
  return outcome;
}

const bar = (i: number): Bar => ({
  type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', 1_640_995_200_000 + i * 3_600_000), venue: 'binance', symbol: 'BTC/USDT', tf: '1h',
  open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, ts: 1_640_995_200_000 + i * 3_600_000,
});

// A write whose backend PostgreSQL ends mid-transaction made node-postgres emit 'error' on the
// pooled connection, which had no listener while checked out: unhandled, it ended the process
// (the engine, the labeling or retraining worker). Now each write fails with a retryable
// StoreError, the process goes on, and the next write gets a working connection.
describe('a write whose PostgreSQL backend is terminated mid-transaction fails, and the process goes on', () => {
  it('risk store (durableWrite)', async () => {
    const store = await createPgRiskStore({ url, schema });
    try {
      await store.saveTrading('acc', { state: 'ACTIVE', seq: 1 }, 1);
      const e = await terminatedMidWrite(`SELECT 1 FROM ${schema}.risk_trading WHERE account = 'acc' FOR UPDATE`, () => store.saveTrading('acc', { state: 'HALTED', seq: 2 }, 2));
      expect(e).toMatchObject({ name: 'StoreError', retryable: true });
      await store.saveTrading('acc', { state: 'HALTED', seq: 2 }, 2);
      expect((await store.load('acc')).trading).toMatchObject({ state: 'HALTED' });
    } finally {
      await store.close();
    }
  });

  it('training-sample store (commit)', async () => {
    const store = await createPgTrainingSampleStore({ url, schema, poolSize: 1 });
    try {
      const e = await terminatedMidWrite(`LOCK TABLE ${schema}.training_samples IN ACCESS EXCLUSIVE MODE`, () => store.commit({ samples: [sample(1)] }));
      expect(e).toMatchObject({ retryable: true });
      expect(await store.commit({ samples: [sample(1)] })).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('timeseries store (insert)', async () => {
    const store = await createPgTimeseriesStore({ url, schema, poolSize: 1 });
    try {
      const e = await terminatedMidWrite(`LOCK TABLE ${schema}.bars IN ACCESS EXCLUSIVE MODE`, () => store.insert({ bars: [bar(1)] }));
      expect(e).toMatchObject({ retryable: true });
      expect(await store.insert({ bars: [bar(1)] })).toMatchObject({ bars: 1 });
    } finally {
      await store.close();
    }
  });

  it('model registry (a registration)', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sxterm');
    await bus.ensureStreams([{ name: 'MODELS_TERM', subjects: [subjects.model('*', '*')], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const reg = await createPgModelRegistry({ url, schema, artifactDir, bus, subjects, clock: createSimulatedClock(T0), poolSize: 1 });
    try {
      const e = await terminatedMidWrite(`SELECT pg_advisory_xact_lock(hashtext('sextant-model-registry:${schema}:term'))`, () => reg.register(newModel('term'), onnxBytes(1)));
      expect(e).toMatchObject({ retryable: true });
      expect(await reg.register(newModel('term'), onnxBytes(1))).toMatchObject({ name: 'term', version: 1 });
    } finally {
      await reg.close();
      await bus.close();
    }
  });
});
