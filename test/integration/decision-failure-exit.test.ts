import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDemoModel } from '../../cli/commands/demo-model.js';
import { openPgRegistry } from '../../cli/registry.js';
import { loadConfig } from '../../config/load.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';
import { dropSchema } from '../support/pg.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SYMBOLS = ['BTC/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const id = randomUUID().replaceAll('-', '').slice(0, 10);
const artifactDir = resolve(ROOT, `.sextant/test-models-${id}`);
const env = {
  ...process.env,
  SEXTANT__prefix: `sxdf${id}`,
  SEXTANT__streamNamePrefix: `DF${id}_`,
  SEXTANT__redis__keyPrefix: `sxdf${id}`,
  SEXTANT__postgres__schema: `sx_df_${id}`,
  SEXTANT__models__artifactDir: artifactDir,
  SEXTANT__assets: JSON.stringify(SYMBOLS.map((symbol) => ({ venue: 'binance', symbol }))),
  SEXTANT__risk__limits__allowlist: JSON.stringify(SYMBOLS),
  SEXTANT__gateway__enabled: 'false',
  SEXTANT_LOG_LEVEL: 'warn',
};
const cfg = loadConfig({ env });

describe('sextant run when its decision path fails (real NATS, Redis, PostgreSQL)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    await dropSchema(cfg.postgres.url, cfg.postgres.schema);
    rmSync(artifactDir, { recursive: true, force: true });
  });

  it('stops and exits non-zero, saying why, when its outputs can no longer be stored', async () => {
    const bus = await createNatsBus({ url: cfg.nats.url, name: 'decision-failure-exit-test', connectTimeoutMs: 2000 });
    cleanup.push(async () => {
      await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
      await bus.close();
    });
    await bus.ensureStreams(streamSpecs(cfg));
    // The model the engine serves, registered in its schema as `sextant train --promote` would.
    const registry = await openPgRegistry(cfg);
    try {
      await ensureDemoModel(registry, { name: 'direction-mlp', dataDir: testDataDir(), symbols: SYMBOLS, timeframe: '1h', from: FROM, cache: await testTrainingCache() });
    } finally {
      await registry.close();
    }

    const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
    const feed = (from: number, to: number): ReturnType<typeof replay> =>
      replay({ bus, subjects: subjectsFor(cfg.prefix), source: mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', from, to }))) });
    await feed(FROM, FROM + 300 * HOUR);

    let stderr = '';
    const engine = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'run'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    engine.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((r) => engine.once('exit', (code) => r(code)));
    cleanup.push(async () => {
      if (engine.exitCode === null) engine.kill('SIGKILL');
      await exit;
    });
    const signals = streamName(cfg, 'SIGNALS');
    const deadline = performance.now() + 90_000;
    while ((await bus.countMessages(signals, `${cfg.prefix}.pred.>`)) < 50) {
      if (performance.now() > deadline || engine.exitCode !== null) throw new Error(`no predictions from the engine; stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The signals stream goes away (an operator's mistake): publishing a prediction is refused.
    await bus.deleteStreams([signals]);
    await feed(FROM + 300 * HOUR, FROM + 400 * HOUR);
    const code = await Promise.race([exit, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/decision path failed: stopping the engine/);
    // The first output of the failing release names the subject: a prediction, or an exec.* output.
    expect(stderr).toMatch(/sextant: decision path failed: .*no stream captures subject .*\.(pred|exec)\..*; restart the engine to resume from its last commit/);
  }, 180_000);
});
