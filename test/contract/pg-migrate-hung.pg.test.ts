import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { connectAdapters } from '../../cli/wiring.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import { dropSchema } from '../support/pg.js';
import { startStallProxy } from '../support/pg-stall-proxy.js';
import type { StallProxy } from '../support/pg-stall-proxy.js';
import { timed } from '../support/timed.js';

// Real PostgreSQL behind a proxy that plays a server accepting sessions and answering no query;
// NATS and Redis real for the engine's wiring. Fails (never skips) when they are not reachable.
// Schemas and directory of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const tag = randomUUID().replaceAll('-', '').slice(0, 12);
const storeSchema = `sx_mighung_${tag}`;
const engineSchema = `sx_mighunge_${tag}`;
let dir = '';
let proxy: StallProxy;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sx-pg-migrate-hung-'));
  proxy = await startStallProxy(url);
});
afterAll(async () => {
  proxy.drop();
  await proxy.close();
  await dropSchema(url, storeSchema);
  await dropSchema(url, engineSchema);
  await rm(dir, { recursive: true, force: true });
});

// The migrations every store runs at start-up had their own connection with no bound but the
// connect's 3 s: an engine started against a server that accepts sessions and then answers
// nothing (hung, or a path dropping packets after the handshake) stalled at start-up for ever,
// saying nothing. Each migration statement now waits at most postgres.migrationTimeoutMs.
describe('a PostgreSQL server that answers no query fails the start-up\'s migrations within postgres.migrationTimeoutMs', () => {
  it('a store: a retryable StoreError naming the setting, after one bound; it starts once the server answers', async () => {
    proxy.stallQueries();
    const timeouts = { statementTimeoutMs: 500, queryTimeoutMs: 1000, migrationTimeoutMs: 1000 };
    const o = await timed(createPgRiskStore({ url: proxy.url, schema: storeSchema, timeouts }), 8000);
    expect(o.error).toMatchObject({ name: 'StoreError', retryable: true });
    expect((o.error as Error).message).toMatch(
      new RegExp(`^migrations failed in schema ${storeSchema}: no answer from PostgreSQL within postgres\\.migrationTimeoutMs \\(1000 ms for each statement, or for another process's migrations of the schema: raise it if one is that slow\\) \\(Query read timeout\\); it may be hung or unreachable$`),
    );
    expect(o.ms).toBeLessThan(1900);
    proxy.resume();
    // Stalled in the middle of the migrations (a migration's CREATE TABLE, in node-pg-migrate's transaction): one bound too.
    proxy.stallWhenSent('CREATE TABLE IF NOT EXISTS bars');
    const mid = await timed(createPgRiskStore({ url: proxy.url, schema: storeSchema, timeouts }), 8000);
    expect((mid.error as Error).message).toMatch(/^migrations failed in schema \w+: no answer from PostgreSQL within postgres\.migrationTimeoutMs \(1000 ms/);
    expect(mid.ms).toBeLessThan(1900);
    proxy.resume();
    const store = await createPgRiskStore({ url: proxy.url, schema: storeSchema, timeouts });
    await store.saveBook('acc', { n: 1 }, 0);
    expect((await store.load('acc')).book).toEqual({ n: 1 });
    await store.close();
  });

  it('the engine\'s start-up (connectAdapters, live) fails naming postgres.migrationTimeoutMs', async () => {
    const file = join(dir, 'engine.yaml');
    await writeFile(
      file,
      [
        `prefix: sxmighung${tag.slice(0, 6)}`,
        `streamNamePrefix: SXMIGHUNG_`,
        `nats:\n  url: ${NATS_URL}`,
        `redis:\n  url: ${REDIS_URL}\n  keyPrefix: sxmighung${tag}`,
        `postgres:\n  url: ${proxy.url}\n  schema: ${engineSchema}\n  poolSize: 1\n  migrationTimeoutMs: 1000`,
        `models:\n  artifactDir: ${join(dir, 'models')}`,
        '',
      ].join('\n'),
    );
    const cfg = loadConfig({ file });
    expect(cfg.postgres.migrationTimeoutMs).toBe(1000);
    expect(loadConfig({ env: {} }).postgres.migrationTimeoutMs).toBe(600_000); // generous: a migration may build an index over a big table
    proxy.stallQueries();
    try {
      const o = await timed(connectAdapters(cfg, 'live', createLogger('silent'), createLiveClock()), 8000);
      expect((o.error as Error).message).toMatch(/^migrations failed in schema sx_mighunge_\w+: no answer from PostgreSQL within postgres\.migrationTimeoutMs \(1000 ms/);
      // The setting to change is the bound, not the URL (the server took the session): '(set postgres.url …)' misled.
      expect((o.error as Error).message).toMatch(/; it may be hung or unreachable \(set postgres\.migrationTimeoutMs in the config, or SEXTANT__postgres__migrationTimeoutMs\)$/);
      expect(o.ms).toBeLessThan(1900);
    } finally {
      proxy.resume();
    }
  });
});
