import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableWrite } from '../../state/pg-durable-write.js';
import { StoreError, StoreUnconfirmedError } from '../../state/errors.js';
import { dropSchema } from '../support/pg.js';
import { startStallProxy } from '../support/pg-stall-proxy.js';

// Real PostgreSQL through the stall proxy; fails (never skips) when it is not reachable. This file's schema only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_commit_unans_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.t (k text, CONSTRAINT t_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)`);
});
afterAll(async () => {
  await admin.end();
  await dropSchema(url, schema);
});

const outcome = (p: Promise<void>): Promise<unknown> => p.then(
  () => undefined,
  (e: unknown) => e,
);

/**
 * A bounded write (an operator's command, `control.riskWriteTimeoutMs`) given up client-side after
 * its COMMIT was sent may have been committed by the server: it is not confirmed
 * (`StoreUnconfirmedError`: `sextant ctl resume` says "resume not confirmed", not "not resumed …
 * stays HALTED"); one given up before the COMMIT, or failed by the server's own answer, was not stored.
 */
describe('durableWrite whose COMMIT gets no answer', () => {
  it('is not confirmed when the COMMIT is not answered; a plain failure when the statement before it is not', async () => {
    const proxy = await startStallProxy(url);
    const pool = new pg.Pool({ connectionString: proxy.url, max: 1 });
    try {
      proxy.stallWhenSent('COMMIT');
      const atCommit = await outcome(durableWrite(pool, 'save at commit', `INSERT INTO ${schema}.t (k) VALUES ($1)`, ['a'], 200));
      expect(atCommit).toBeInstanceOf(StoreUnconfirmedError);
      expect((atCommit as StoreError).retryable).toBe(true);
      expect(String(atCommit)).toMatch(/save at commit: no answer from PostgreSQL within 450 ms .*sent its COMMIT, unanswered: it may be stored/);

      proxy.stallWhenSent('INSERT INTO');
      const atInsert = await outcome(durableWrite(pool, 'save at insert', `INSERT INTO ${schema}.t (k) VALUES ($1)`, ['b'], 200));
      expect(atInsert).toBeInstanceOf(StoreError);
      expect(atInsert).not.toBeInstanceOf(StoreUnconfirmedError);
      expect(String(atInsert)).toMatch(/save at insert: no answer from PostgreSQL within 450 ms/);
    } finally {
      await pool.end();
      await proxy.close();
    }
  });

  it("is a plain failure when the server answers the COMMIT with its own error (a deferred constraint)", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await durableWrite(pool, 'save first', `INSERT INTO ${schema}.t (k) VALUES ($1)`, ['dup'], 1_000);
      const dup = await outcome(durableWrite(pool, 'save again', `INSERT INTO ${schema}.t (k) VALUES ($1)`, ['dup'], 1_000));
      expect(dup).toBeInstanceOf(StoreError);
      expect(dup).not.toBeInstanceOf(StoreUnconfirmedError);
      expect(String(dup)).toMatch(/save again: .*t_k/);
    } finally {
      await pool.end();
    }
  });
});
