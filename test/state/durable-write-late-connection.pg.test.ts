import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableWrite } from '../../state/pg-durable-write.js';
import { StoreError } from '../../state/errors.js';
import { dropSchema } from '../support/pg.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. This file's schema only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_late_conn_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.t (k text PRIMARY KEY)`);
});
afterAll(async () => {
  await admin.end();
  await dropSchema(url, schema);
});

const stored = async (k: string): Promise<boolean> => ((await admin.query(`SELECT 1 FROM ${schema}.t WHERE k = $1`, [k])).rowCount ?? 0) > 0;

/**
 * An operator's command bounded by `control.riskWriteTimeoutMs` is answered "not done" at its
 * deadline (actors/risk-actor.ts `commanded`); its write's `remainingMs` is read again once a
 * pooled connection is in hand, so a connection that comes after the deadline does not store what
 * the reply said was not stored.
 */
describe('durableWrite with remainingMs', () => {
  it('gives up a write whose time ran out while it waited for a pooled connection: nothing stored, a retryable StoreError', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const held = await pool.connect(); // the pool's only connection, busy with another write
      const deadline = Date.now() + 150;
      const write = durableWrite(pool, 'save late', `INSERT INTO ${schema}.t (k) VALUES ($1)`, ['late'], { timeoutMs: 1_000, remainingMs: () => deadline - Date.now() }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 300)); // past the deadline
      held.release();
      const outcome = await write;
      expect(outcome).toBeInstanceOf(StoreError);
      expect((outcome as StoreError).retryable).toBe(true);
      expect(String(outcome)).toMatch(/save late: given up, not written: no time left once a connection was free/);
      expect(await stored('late')).toBe(false);
      // The connection went back to the pool: the next write (time left) gets it and is stored.
      await durableWrite(pool, 'save next', `INSERT INTO ${schema}.t (k) VALUES ($1)`, ['next'], { timeoutMs: 1_000, remainingMs: () => 1_000 });
      expect(await stored('next')).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('bounds the statements by the time left when it is below timeoutMs: a lock held past it fails the write, not stored', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${schema}.t IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      const outcome = await durableWrite(pool, 'save bounded', `INSERT INTO ${schema}.t (k) VALUES ($1)`, ['bounded'], { timeoutMs: 5_000, remainingMs: () => 200 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(StoreError);
      expect(Date.now() - started).toBeLessThan(2_000); // the 200 ms left, not the 5 s bound
      await locker.query('ROLLBACK');
      expect(await stored('bounded')).toBe(false);
    } finally {
      await locker.end();
      await pool.end();
    }
  });
});
