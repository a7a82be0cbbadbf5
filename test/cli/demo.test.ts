import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');

function sextant(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, SEXTANT_DATA_DIR: testDataDir(), ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Summary = {
  adapters: { bus: string; features: string; timeseries: string; fallbacks: string[] };
  published: number;
  messagesIn: number;
  accepted: number;
  featuresOut: number;
  refused: Record<string, number>;
  rowsWritten: { bars: number; features: number };
};

const lastJson = (stdout: string): Summary => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Summary;

describe('sextant demo', () => {
  it('falls back to in-process adapters, says so, and still runs the window when no service answers', () => {
    const r = sextant(['demo', '--symbols', 'BTC/USDT,ETH/USDT', '--from', '2024-01-01', '--to', '2024-02-01'], {
      NATS_URL: 'nats://127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
    });
    expect(r.status, r.stderr).toBe(0);
    for (const service of ['NATS', 'Redis', 'PostgreSQL']) expect(r.stderr).toMatch(new RegExp(`notice: ${service} unreachable .* embedded in-process ${service} adapter`));
    const s = lastJson(r.stdout);
    expect(s.adapters).toMatchObject({ bus: 'memory', features: 'memory', timeseries: 'memory' });
    expect(s.adapters.fallbacks).toHaveLength(3);
    // January 2024 is complete in the data: 31 days × 24 bars per symbol.
    expect(s.published).toBe(2 * 31 * 24);
    expect(s.accepted).toBe(s.published);
    expect(s.featuresOut).toBe(s.published);
    expect(s.rowsWritten).toMatchObject({ bars: s.published, features: s.published });
    expect(s.refused).toEqual({ MALFORMED_JSON: 1, NON_POSITIVE: 1, NON_FINITE: 1, UNKNOWN_SYMBOL: 1, OVERSIZE: 1, DUPLICATE: 1, OUT_OF_ORDER: 1 });
    expect(r.stdout).toContain('Sextant demo summary');
  });

  it('runs on the real NATS, Redis and PostgreSQL, twice, with the same result', () => {
    const runs = [1, 2].map(() => sextant(['demo', '--symbols', 'SOL/USDT', '--from', '2024-03-01', '--to', '2024-03-08']));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const [a, b] = runs.map((r) => lastJson(r.stdout));
    expect(a?.adapters).toMatchObject({ bus: 'nats', features: 'redis', timeseries: 'postgres', fallbacks: [] });
    expect(a?.published).toBe(7 * 24);
    expect(a?.rowsWritten.bars).toBe(7 * 24);
    expect(b).toMatchObject({ published: a?.published, accepted: a?.accepted, refused: a?.refused, rowsWritten: a?.rowsWritten });
  });

  it('says which data it needs when the data folder is missing', () => {
    const r = sextant(['demo', '--embedded', '--data', '/nonexistent/sextant-data']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/nonexistent/sextant-data');
    expect(r.stderr).toMatch(/SEXTANT_DATA_DIR/);
  });

  it('refuses a bad configuration naming the key and what was expected', () => {
    const r = sextant(['demo', '--embedded'], { SEXTANT__consumer__batchSize: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/consumer\.batchSize/);
  });
});
