import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import type { Bus } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { dropSchema } from '../support/pg.js';
import { storedFeatureMismatches } from '../support/stored-features.js';

const ROOT = resolve(import.meta.dirname, '../..');
// The kill comes 5,000 features in, a quarter of the way: the restart redelivers what the
// snapshots did not cover and goes on through 15,000 more bars. 25,000 a symbol only made it longer.
const BARS_PER_SYMBOL = 10_000;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'] as const;
const id = randomUUID().replaceAll('-', '').slice(0, 10);
const env = {
  ...process.env,
  SEXTANT__prefix: `sxit${id}`,
  SEXTANT__streamNamePrefix: `IT${id}_`,
  SEXTANT__redis__keyPrefix: `sxit${id}`,
  SEXTANT__postgres__schema: `sx_it_${id}`,
  SEXTANT__assets: JSON.stringify(SYMBOLS.map((symbol) => ({ venue: 'binance', symbol }))),
  SEXTANT__consumer__batchSize: '256',
  SEXTANT_LOG_LEVEL: 'warn',
};
const cfg = loadConfig({ env });
const subjects = subjectsFor(cfg.prefix);

const files = (): Array<{ symbol: string; path: string }> =>
  SYMBOLS.map((symbol) => ({ symbol, path: resolve(testDataDir(), `ohlcv/binance_spot_5m/${symbol.replace('/', '_')}_5m_2024-01_2024-09.csv`) }));

const readAll = async (symbol: string, path: string): Promise<Bar[]> => {
  const out: Bar[] = [];
  for await (const b of readBars(path, { venue: 'binance', symbol, tf: '5m', limit: BARS_PER_SYMBOL })) out.push(b);
  return out;
};

function startEngine(): ChildProcess {
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'run'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[engine] ${d.toString()}`));
  return child;
}

const exited = (child: ChildProcess): Promise<void> => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

describe('engine killed with SIGKILL part-way through a 20,000-bar JetStream replay', () => {
  let bus: Bus;
  let store: TimeseriesStore;

  beforeAll(async () => {
    bus = await createNatsBus({ url: cfg.nats.url, name: 'kill-restart-test', connectTimeoutMs: 2000 });
    store = await createPgTimeseriesStore({ url: cfg.postgres.url, schema: cfg.postgres.schema, poolSize: 2 });
  });

  afterAll(async () => {
    await bus?.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus?.close();
    await store?.close();
    await dropSchema(cfg.postgres.url, cfg.postgres.schema);
    const redis = await createRedisFeatureStore({ url: cfg.redis.url, keyPrefix: cfg.redis.keyPrefix, historyCap: 1 });
    await redis.clear();
    await redis.close();
  });

  const count = async (table: 'bars' | 'features'): Promise<number> => (await store.counts())[table];

  const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!(await cond())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('stores every input exactly once and ends with the features of an uninterrupted run', async () => {
    const inputs = await Promise.all(files().map((f) => readAll(f.symbol, f.path)));
    const total = inputs.reduce((n, bars) => n + bars.length, 0);
    expect(total).toBe(BARS_PER_SYMBOL * SYMBOLS.length);

    await bus.ensureStreams(streamSpecs(cfg));
    const first = await replay({ bus, subjects, source: mergeByTime(...files().map((f) => readBars(f.path, { venue: 'binance', symbol: f.symbol, tf: '5m', limit: BARS_PER_SYMBOL }))), speed: 'max' });
    expect(first.published).toBe(total);

    let engine = startEngine();
    await waitFor('some features stored', async () => (await count('features')) >= 5_000, 120_000);
    engine.kill('SIGKILL');
    await exited(engine);
    const atKill = await count('features');
    expect(atKill).toBeLessThan(total); // it really was killed part-way

    // Replaying the same files again while the engine is down stores nothing twice in JetStream.
    const second = await replay({ bus, subjects, source: mergeByTime(...files().map((f) => readBars(f.path, { venue: 'binance', symbol: f.symbol, tf: '5m', limit: BARS_PER_SYMBOL }))), speed: 'max' });
    expect(second.duplicates).toBe(total);

    engine = startEngine();
    try {
      await waitFor('all features stored', async () => (await count('features')) >= total, 120_000);
    } finally {
      engine.kill('SIGTERM');
      await exited(engine);
    }

    // Exactly once: every bar and every feature vector stored once, nothing extra.
    expect(await count('bars')).toBe(total);
    expect(await count('features')).toBe(total);
    for (const [i, symbol] of SYMBOLS.entries()) {
      const stored = await store.bars({ venue: 'binance', symbol, tf: '5m' });
      expect(stored.map((b) => b.id)).toEqual((inputs[i] ?? []).map((b) => b.id));
    }

    // The features after restart equal those of an uninterrupted run of the same engine code.
    for (const [i, symbol] of SYMBOLS.entries()) {
      expect(await storedFeatureMismatches(store, 'binance', symbol, inputs[i] ?? [])).toEqual({ rows: BARS_PER_SYMBOL, mismatches: 0 });
    }
  }, 300_000); // a loaded 2-core box can take several times what a quiet one does
});
