import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../cli/logger.js';
import { connectAdapters } from '../../cli/wiring.js';
import type { Connectors } from '../../cli/wiring.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import { createNatsBus } from '../../streams/nats-bus.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * `sextant run`'s start-up errors (live mode): `cannot connect to NATS at nats://…:4999: connection
 * refused` did not say which setting to change, and the PostgreSQL one named only an address.
 * NATS and Redis are real where the test needs them up (it fails, never skips, without them).
 */
describe('sextant run start-up errors name the setting to change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-wiring-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const connect = (yaml: string, connectors: Partial<Connectors> = {}): Promise<unknown> => {
    const file = join(dir, `c${Math.random().toString(36).slice(2, 8)}.yaml`);
    writeFileSync(file, `prefix: we\nstreamNamePrefix: WE_\n${yaml}`);
    return connectAdapters(loadConfig({ file }), 'live', createLogger('silent'), createLiveClock(), connectors);
  };
  /** The real NATS and Redis adapters, noting whether each was closed (the bus by its own 'closed' status). */
  const watched = (): { connectors: Partial<Connectors>; closed: string[] } => {
    const closed: string[] = [];
    return {
      closed,
      connectors: {
        nats: async (opts) => {
          const bus = await createNatsBus(opts);
          bus.onStatus((s) => void (s.type === 'closed' && closed.push('nats')));
          return bus;
        },
        redis: async (opts) => {
          const store = await createRedisFeatureStore(opts);
          const close = store.close.bind(store);
          return Object.assign(store, { close: () => close().then(() => void closed.push('redis')) });
        },
      },
    };
  };

  it('NATS: nats.url, NATS_URL and SEXTANT__nats__url', async () => {
    await expect(connect('nats:\n  url: nats://127.0.0.1:4999\n')).rejects.toThrow(/^cannot connect to NATS at nats:\/\/127\.0\.0\.1:4999: .*\(set nats\.url in the config, or NATS_URL or SEXTANT__nats__url\)$/);
  });

  it('Redis: redis.url, REDIS_URL and SEXTANT__redis__url', async () => {
    await expect(connect(`nats:\n  url: ${NATS_URL}\nredis:\n  url: redis://127.0.0.1:6999\n`)).rejects.toThrow(/^cannot connect to Redis at redis:\/\/127\.0\.0\.1:6999: .*\(set redis\.url in the config, or REDIS_URL or SEXTANT__redis__url\)$/);
  });

  it('PostgreSQL: its URL with the password masked, postgres.url, DATABASE_URL and SEXTANT__postgres__url', async () => {
    const e = await connect(`nats:\n  url: ${NATS_URL}\nredis:\n  url: ${REDIS_URL}\npostgres:\n  url: postgres://sx:s3cret@127.0.0.1:5999/test\n`).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    const message = (e as Error).message;
    expect(message).toMatch(/^cannot connect to PostgreSQL at postgres:\/\/sx:\*\*\*@127\.0\.0\.1:5999\/test: .*\(set postgres\.url in the config, or DATABASE_URL or SEXTANT__postgres__url\)$/);
    expect(message).not.toContain('s3cret');
  });

  // A failed start-up left the connections it had opened: `sextant run` hung instead of exiting.
  it('Redis down: the NATS connection it opened is closed before the error is thrown', async () => {
    const w = watched();
    await expect(connect(`nats:\n  url: ${NATS_URL}\nredis:\n  url: redis://127.0.0.1:6999\n`, w.connectors)).rejects.toThrow(/cannot connect to Redis/);
    expect(w.closed).toEqual(['nats']);
  });

  it('PostgreSQL down: Redis, then NATS, are closed before the error is thrown', async () => {
    const w = watched();
    await expect(connect(`nats:\n  url: ${NATS_URL}\nredis:\n  url: ${REDIS_URL}\npostgres:\n  url: postgres://sx@127.0.0.1:5999/test\n`, w.connectors)).rejects.toThrow(/cannot connect to PostgreSQL/);
    expect(w.closed).toEqual(['redis', 'nats']);
  });
});
